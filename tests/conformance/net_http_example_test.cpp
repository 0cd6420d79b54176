// examples/http_server, run as a separate process: curl with keep-alive and a file download,
// pipelining and malformed requests over raw sockets, a slowloris client cut by the header
// timeout, a graceful shutdown that ends idle connections at once and lets an upload finish.
#include "child_process.hpp"
#include "net_support.hpp"

#include <dirent.h>
#include <fstream>

using namespace corio_test;
using namespace corio_net_test;

namespace {

const std::string curl = "/usr/bin/curl";

bool server_built() {
  if (::access((examples + "/http_server").c_str(), X_OK) != 0) {
    skip("example " + examples + "/http_server is not built");
    return false;
  }
  return true;
}

/// The server, started and bound; `where` is its address.
struct http_server {
  explicit http_server(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{examples + "/http_server", "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc = std::make_unique<child>(argv, true);
    auto line = proc->first_line(10s);
    BOOST_REQUIRE_MESSAGE(line.starts_with("listening on "), "http_server printed '" << line << "'");
    where = line.substr(13);
    port = where.substr(where.rfind(':') + 1);
  }
  std::size_t open_fds() const {
    std::size_t n = 0;
    if (DIR* d = ::opendir(("/proc/" + std::to_string(proc->pid()) + "/fd").c_str())) {
      while (::readdir(d)) ++n;
      ::closedir(d);
    }
    return n;
  }
  std::unique_ptr<child> proc;
  std::string where, port;
};

/// Sends `request` (then keeps the connection open), reads until the server closes or `limit`.
task<std::string> exchange(std::string where, std::string request, std::chrono::milliseconds limit = 10s) {
  auto s = co_await tcp_stream::connect(*address::parse(where));
  BOOST_REQUIRE_MESSAGE(s, "connect: " << describe(s));
  BOOST_REQUIRE(co_await s->write_all(bytes(request)));
  std::string got;
  std::array<std::byte, 16 * 1024> buf;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto n = co_await corio::timeout(deadline - std::chrono::steady_clock::now(), s->read(buf));
    if (!n || *n == 0) break;
    got += text(std::span(buf).first(*n));
  }
  co_return got;
}

std::size_t count(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = hay.find(needle); at != std::string_view::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(net_http_example, runtime_fixture)

// curl: two requests on one connection (keep-alive: the second reuses it), HEAD, and a 3 MiB
// file streamed through corio::fs, byte for byte.
BOOST_AUTO_TEST_CASE(curl_keep_alive_and_a_file) {
  if (!server_built()) return;
  temp_dir dir;
  auto blob = random_bytes(3 << 20, 11);
  std::ofstream(dir.file("blob"), std::ios::binary).write(reinterpret_cast<const char*>(blob.data()), blob.size());
  http_server server({"--root", dir.path().string()});
  const std::string base = "http://" + server.where;
  {
    child c({curl, "-s", "-w", " %{http_code} %{num_connects}\\n", base + "/plaintext", base + "/"}, true);
    BOOST_CHECK_EQUAL(c.next_line(20s), "Hello, World! 200 1");
    BOOST_CHECK_EQUAL(c.next_line(20s), "Hello, World! 200 0");  // no new connection
    BOOST_CHECK_EQUAL(c.wait(20s), 0);
  }
  {
    child c({curl, "-s", "-o", dir.file("copy"), "-w", "%{http_code} %{size_download}\\n", base + "/files/blob"}, true);
    BOOST_CHECK_EQUAL(c.next_line(30s), "200 " + std::to_string(blob.size()));
    BOOST_CHECK_EQUAL(c.wait(30s), 0);
    std::ifstream in(dir.file("copy"), std::ios::binary);
    std::vector<char> copy((std::istreambuf_iterator<char>(in)), {});
    BOOST_REQUIRE_EQUAL(copy.size(), blob.size());
    BOOST_CHECK(std::memcmp(copy.data(), blob.data(), blob.size()) == 0);
  }
  {
    child c({curl, "-s", "-I", "-o", "/dev/null", "-w", "%{http_code}\\n", base + "/files/blob"}, true);
    BOOST_CHECK_EQUAL(c.next_line(20s), "200");
    BOOST_CHECK_EQUAL(c.wait(20s), 0);
    child missing({curl, "-s", "-o", "/dev/null", "-w", "%{http_code}\\n", base + "/files/nothing"}, true);
    BOOST_CHECK_EQUAL(missing.next_line(20s), "404");
    BOOST_CHECK_EQUAL(missing.wait(20s), 0);
  }
  server.proc->signal(SIGTERM);
  BOOST_CHECK_EQUAL(server.proc->wait(20s), 0);
}

// 16 requests in one write: 16 responses in order, then the close the last one asked for.
// A POST body split across the pipeline is counted exactly.
BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order) {
  if (!server_built()) return;
  http_server server;
  rt.block_on([&]() -> task<void> {
    std::string pipeline;
    for (int i = 0; i < 15; ++i) pipeline += "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n";
    pipeline += "POST /upload HTTP/1.1\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789";
    auto got = co_await exchange(server.where, pipeline);
    BOOST_CHECK_EQUAL(count(got, "HTTP/1.1 200 OK"), 16u);
    BOOST_CHECK_EQUAL(count(got, "Hello, World!"), 15u);
    BOOST_CHECK(got.ends_with("received 10 bytes\n"));
    BOOST_CHECK_EQUAL(count(got, "Connection: close"), 1u);
  }());
}

// Bad input gets its status and a close; never a crash, a hang or a leaked descriptor.
BOOST_AUTO_TEST_CASE(malformed_requests_get_their_status) {
  if (!server_built()) return;
  http_server server;
  const std::size_t fds_idle = server.open_fds();
  struct bad {
    std::string request;
    std::string status;
  };
  const std::vector<bad> cases{
      {"BAD\r\n\r\n", "400"},
      {"GET / HTTP/1.1\r\nNo Colon Here\r\n\r\n", "400"},
      {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", "400"},
      {"GET / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", "400"},
      {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "400"},
      {"GET relative HTTP/1.1\r\n\r\n", "400"},
      {"GET / HTTP/2.0\r\n\r\n", "505"},
      {"POST /upload HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", "413"},
      {"GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n", "431"},
      {"GET / HTTP/1.1\r\n" + std::string(9000, 'b'), "431"},  // no end of head in sight
      {"POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "501"},
      {"DELETE / HTTP/1.1\r\n\r\n", "405"},
      {"GET /nope HTTP/1.1\r\n\r\n", "404"},
      {"GET /files/../etc HTTP/1.1\r\n\r\n", "404"},
  };
  rt.block_on([&]() -> task<void> {
    for (const auto& c : cases) {
      auto got = co_await exchange(server.where, c.request);
      BOOST_CHECK_MESSAGE(got.starts_with("HTTP/1.1 " + c.status + " "),
                          "request '" << c.request.substr(0, 40) << "': got '" << got.substr(0, 40) << "'");
      BOOST_CHECK_MESSAGE(got.find("Connection: close") != std::string::npos, "closes after " << c.status);
    }
  }());
  BOOST_CHECK_EQUAL(server.open_fds(), fds_idle);  // every connection's descriptor was closed
  server.proc->signal(SIGTERM);
  BOOST_CHECK_EQUAL(server.proc->wait(20s), 0);
}

// Slowloris: a head arriving a byte every 200 ms is cut by the 1 s header timeout with a 408.
BOOST_AUTO_TEST_CASE(slow_head_is_cut_by_the_header_timeout) {
  if (!server_built()) return;
  http_server server({"--header-timeout-ms", "1000"});
  rt.block_on([&]() -> task<void> {
    auto s = co_await tcp_stream::connect(*address::parse(server.where));
    BOOST_REQUIRE(s);
    BOOST_REQUIRE(co_await s->write_all(bytes("GET / HTTP/1.1\r\n")));
    const auto t0 = std::chrono::steady_clock::now();
    std::string got;
    bool cut = false;
    for (int i = 0; i < 100 && !cut; ++i) {  // at most 20 s of dripping
      (void)co_await s->write_all(bytes("X"));
      std::array<std::byte, 512> buf;
      auto n = co_await corio::timeout(200ms, s->read(buf));
      if (n && *n > 0) got += text(std::span(buf).first(*n));
      if ((n && *n == 0) || (!n && n.error() != corio::make_error_code(corio::errc::timed_out))) cut = true;
    }
    const auto took = std::chrono::steady_clock::now() - t0;
    BOOST_CHECK(cut);
    BOOST_CHECK_MESSAGE(got.starts_with("HTTP/1.1 408 "), "got '" << got.substr(0, 40) << "'");
    BOOST_CHECK_MESSAGE(took >= 900ms && took < 10s, "cut after " << std::chrono::duration<double>(took).count() << " s");
  }());
}

// SIGTERM: an idle keep-alive connection is closed at once, an upload in progress finishes
// (its answer says Connection: close), the server exits 0 well before its 10 s deadline.
BOOST_AUTO_TEST_CASE(sigterm_closes_idle_connections_and_finishes_requests) {
  if (!server_built()) return;
  http_server server;
  rt.block_on([&]() -> task<void> {
    auto idle = co_await tcp_stream::connect(*address::parse(server.where));
    auto busy = co_await tcp_stream::connect(*address::parse(server.where));
    BOOST_REQUIRE(idle && busy);
    std::array<std::byte, 4096> buf;
    BOOST_REQUIRE(co_await idle->write_all(bytes("GET / HTTP/1.1\r\n\r\n")));
    auto first = co_await corio::timeout(10s, idle->read(buf));
    BOOST_REQUIRE(first && *first > 0);
    BOOST_REQUIRE(co_await busy->write_all(bytes("POST /upload HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc")));
    co_await corio::sleep_for(100ms);  // both connections are known to the server
    const auto t0 = std::chrono::steady_clock::now();
    server.proc->signal(SIGTERM);
    auto eof = co_await corio::timeout(5s, idle->read(buf));
    BOOST_CHECK_MESSAGE(eof && *eof == 0, "idle connection: " << (eof ? std::to_string(*eof) + " bytes" : eof.error().message()));
    BOOST_CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    BOOST_REQUIRE(co_await busy->write_all(bytes("def")));  // the rest of the body, after the signal
    std::string answer;
    for (;;) {
      auto n = co_await corio::timeout(10s, busy->read(buf));
      if (!n || *n == 0) break;
      answer += text(std::span(buf).first(*n));
    }
    BOOST_CHECK_MESSAGE(answer.starts_with("HTTP/1.1 200 "), "got '" << answer.substr(0, 40) << "'");
    BOOST_CHECK(answer.find("Connection: close") != std::string::npos);
    BOOST_CHECK(answer.ends_with("received 6 bytes\n"));
  }());
  BOOST_CHECK_EQUAL(server.proc->wait(8s), 0);
}

BOOST_AUTO_TEST_SUITE_END()
