// examples/tcp_proxy, run as a separate process between a client and an upstream that both
// live in this test's runtime: checksummed streams both ways at once, a half-close passed on,
// resets passed on from either side, a refused upstream, the descriptor limit, and the proxy's
// descriptors back to their count.
#include "child_process.hpp"
#include "net_support.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace corio_test;
using namespace corio_net_test;

namespace {


#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t stream_bytes = 16 << 20;
#else
constexpr std::size_t stream_bytes = 100 << 20;
#endif

/// The proxy in front of `upstream`, started and bound.
struct proxy_process {
  explicit proxy_process(const std::string& upstream, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{examples + "/tcp_proxy", "--port", "0", "--upstream", upstream};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc = std::make_unique<child>(argv, true);
    auto line = proc->first_line(10s);
    BOOST_REQUIRE_MESSAGE(line.starts_with("listening on "), "tcp_proxy printed '" << line << "'");
    where = *address::parse(line.substr(13));
  }
  /// The proxy's descriptors, one "fd -> target" line each.
  std::vector<std::string> fds() const {
    std::vector<std::string> out;
    const std::string dir = "/proc/" + std::to_string(proc->pid()) + "/fd";
    if (DIR* d = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        char target[256] = {};
        (void)::readlink((dir + "/" + e->d_name).c_str(), target, sizeof(target) - 1);
        out.push_back(std::string(e->d_name) + " -> " + target);
      }
      ::closedir(d);
    }
    return out;
  }
  /// Its sockets: the listener, and two per pair still open. Only sockets are counted: a leaked
  /// pair shows there, while a sanitizer's or the loader's own files come and go at will.
  std::size_t open_sockets() const {
    std::size_t n = 0;
    for (const auto& f : fds()) n += f.find("-> socket:") != std::string::npos;
    return n;
  }
  /// Waits (up to 10 s) until the proxy holds `n` sockets; if it does not, fails naming every
  /// descriptor it holds.
  void check_settles_at(std::size_t n) const {
    for (int i = 0; i < 1000 && open_sockets() != n; ++i) ::usleep(10'000);
    const std::size_t now = open_sockets();
    std::string all;
    if (now != n)
      for (const auto& f : fds()) all += "\n  " + f;
    BOOST_CHECK_MESSAGE(now == n, "the proxy holds " << now << " sockets, not " << n << ":" << all);
  }
  std::unique_ptr<child> proc;
  address where;
};

/// Writes all of `data`, then half-closes; true if every byte went.
task<bool> send_all_then_fin(tcp_write_half w, std::span<const std::byte> data) {
  for (std::size_t off = 0; off < data.size();) {
    const std::size_t n = std::min<std::size_t>(256 * 1024, data.size() - off);
    if (!co_await w.write_all(data.subspan(off, n))) co_return false;
    off += n;
  }
  co_return true;  // dropping w sends FIN
}

/// Reads until end-of-stream (or an error, or 60 s); the FNV checksum and count of the bytes.
task<std::pair<std::uint64_t, std::size_t>> checksum_until_eof(tcp_read_half& r) {
  std::uint64_t h = 1469598103934665603ull;
  std::size_t total = 0;
  std::vector<std::byte> buf(256 * 1024);
  for (;;) {
    auto n = co_await corio::timeout(60s, r.read(buf));
    if (!n || *n == 0) break;
    for (std::size_t i = 0; i < *n; ++i) h = (h ^ static_cast<std::uint8_t>(buf[i])) * 1099511628211ull;
    total += *n;
  }
  co_return std::pair{h, total};
}

/// Accepts until the listener closes; each connection echoed until its end of stream.
task<void> echo_server(tcp_listener& l, corio::task_group& conns) {
  for (;;) {
    auto c = co_await l.accept();
    if (!c) co_return;
    conns.spawn(echo_until_eof(std::move(c->stream)));
  }
}

/// Reads until the peer closes; the error if it was one (reset), else {}.
task<std::error_code> read_until_closed(tcp_stream& s, std::chrono::seconds limit = 10s) {
  std::array<std::byte, 4096> buf;
  for (;;) {
    auto n = co_await corio::timeout(limit, s.read(buf));
    if (!n) co_return n.error();
    if (*n == 0) co_return std::error_code{};
  }
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(net_proxy_example, runtime_fixture)

// stream_bytes each way at the same time, every byte checked; both half-closes pass through.
BOOST_AUTO_TEST_CASE(streams_both_ways_at_once) {
  if (::access((examples + "/tcp_proxy").c_str(), X_OK) != 0) return skip("tcp_proxy is not built");
  std::unique_ptr<proxy_process> started;  // bound inside the loop: a listener needs a runtime
  std::size_t fds_idle = 0;
  const auto up_data = random_bytes(stream_bytes, 1), down_data = random_bytes(stream_bytes, 2);
  rt.block_on([&]() -> task<void> {
    auto upstream = loopback_listener();
    started = std::make_unique<proxy_process>(upstream.local_address()->to_string());
    auto& proxy = *started;
    fds_idle = proxy.open_sockets();
    auto server_side = corio::spawn([](tcp_listener& l, std::span<const std::byte> out) -> task<std::pair<std::uint64_t, std::size_t>> {
      auto conn = co_await l.accept();
      BOOST_REQUIRE(conn);
      auto [rd, wr] = std::move(conn->stream).split();
      auto sent = corio::spawn(send_all_then_fin(std::move(wr), out));
      auto got = co_await checksum_until_eof(rd);
      BOOST_CHECK(co_await sent);
      co_return got;
    }(upstream, down_data));
    auto client = co_await tcp_stream::connect(proxy.where);
    BOOST_REQUIRE(client);
    auto [rd, wr] = std::move(*client).split();
    auto sent = corio::spawn(send_all_then_fin(std::move(wr), up_data));
    auto down = co_await checksum_until_eof(rd);
    auto sent_ok = co_await sent;
    BOOST_CHECK(sent_ok && *sent_ok);
    auto up = co_await server_side;
    BOOST_REQUIRE(up);
    BOOST_CHECK_EQUAL(up->second, up_data.size());
    BOOST_CHECK_EQUAL(up->first, checksum(up_data));
    BOOST_CHECK_EQUAL(down.second, down_data.size());
    BOOST_CHECK_EQUAL(down.first, checksum(down_data));
  }());
  started->check_settles_at(fds_idle);
}

// The upstream answers only after the client's EOF: the half-close must pass through while
// the other direction stays open.
BOOST_AUTO_TEST_CASE(half_close_is_passed_on) {
  if (::access((examples + "/tcp_proxy").c_str(), X_OK) != 0) return skip("tcp_proxy is not built");
  rt.block_on([&]() -> task<void> {
    auto upstream = loopback_listener();
    proxy_process proxy(upstream.local_address()->to_string());
    auto server_side = corio::spawn([](tcp_listener& l) -> task<std::string> {
      auto conn = co_await l.accept();
      BOOST_REQUIRE(conn);
      std::string got;
      std::array<std::byte, 256> buf;
      for (;;) {
        auto n = co_await corio::timeout(10s, conn->stream.read(buf));
        if (!n) co_return "upstream read failed: " + n.error().message();
        if (*n == 0) break;
        got += text(std::span(buf).first(*n));
      }
      BOOST_CHECK(co_await conn->stream.write_all(bytes("answer to " + got)));
      co_return got;
    }(upstream));
    auto client = co_await tcp_stream::connect(proxy.where);
    BOOST_REQUIRE(client);
    BOOST_REQUIRE(co_await client->write_all(bytes("question")));
    BOOST_REQUIRE(co_await client->shutdown());
    std::string answer;
    std::array<std::byte, 256> buf;
    for (;;) {
      auto n = co_await corio::timeout(10s, client->read(buf));
      if (!n || *n == 0) break;
      answer += text(std::span(buf).first(*n));
    }
    BOOST_CHECK_EQUAL(answer, "answer to question");
    auto asked = co_await server_side;
    BOOST_REQUIRE(asked);
    BOOST_CHECK_EQUAL(*asked, "question");
  }());
}

// A reset on either side reaches the other side as a reset, not as a clean end.
BOOST_AUTO_TEST_CASE(resets_are_passed_on_both_ways) {
  if (::access((examples + "/tcp_proxy").c_str(), X_OK) != 0) return skip("tcp_proxy is not built");
  std::unique_ptr<proxy_process> started;
  std::size_t fds_idle = 0;
  rt.block_on([&]() -> task<void> {
    auto upstream = loopback_listener();
    started = std::make_unique<proxy_process>(upstream.local_address()->to_string());
    auto& proxy = *started;
    fds_idle = proxy.open_sockets();
    for (bool client_resets : {true, false}) {
      auto client = co_await tcp_stream::connect(proxy.where);
      BOOST_REQUIRE(client);
      BOOST_REQUIRE(co_await client->write_all(bytes("hello")));
      auto conn = co_await corio::timeout(10s, upstream.accept());
      BOOST_REQUIRE(conn);
      std::array<std::byte, 16> buf;
      BOOST_REQUIRE(co_await corio::timeout(10s, conn->stream.read_exact(std::span(buf).first(5))));
      BOOST_REQUIRE(co_await conn->stream.write_all(bytes("world")));
      BOOST_REQUIRE(co_await corio::timeout(10s, client->read_exact(std::span(buf).first(5))));
      tcp_stream& resetter = client_resets ? *client : conn->stream;
      tcp_stream& other = client_resets ? conn->stream : *client;
      resetter.abort();
      auto e = co_await read_until_closed(other);
      BOOST_CHECK_MESSAGE(e == std::errc::connection_reset,
                          (client_resets ? "upstream" : "client") << " saw: " << (e ? e.message() : "a clean end"));
    }
  }());
  started->check_settles_at(fds_idle);
}

// An upstream nobody listens on: the client is reset at once; the proxy keeps serving.
BOOST_AUTO_TEST_CASE(refused_upstream_resets_the_client) {
  if (::access((examples + "/tcp_proxy").c_str(), X_OK) != 0) return skip("tcp_proxy is not built");
  std::unique_ptr<proxy_process> started;
  std::size_t fds_idle = 0;
  rt.block_on([&]() -> task<void> {
    // Bound but not listening, and held for the whole test: connecting there is refused, and
    // the proxy's own bind to port 0 cannot be given this port (a closed listener's port could
    // be: the proxy then listened on its own upstream and connected to itself until EMFILE).
    struct closing_fd {
      int fd;
      ~closing_fd() { if (fd >= 0) ::close(fd); }  // also when a check below gives up
    } held_socket{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    const int held = held_socket.fd;
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sin);
    BOOST_REQUIRE(held >= 0 && ::bind(held, reinterpret_cast<sockaddr*>(&sin), len) == 0 &&
                  ::getsockname(held, reinterpret_cast<sockaddr*>(&sin), &len) == 0);
    const std::string refused = "127.0.0.1:" + std::to_string(ntohs(sin.sin_port));
    started = std::make_unique<proxy_process>(refused, std::vector<std::string>{"--connect-timeout-ms", "2000"});
    auto& proxy = *started;
    fds_idle = proxy.open_sockets();
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      auto client = co_await tcp_stream::connect(proxy.where);
      // The proxy can accept and reset before this side's connect has seen its handshake
      // finish (a loaded machine): a readiness driver then reads the reset from SO_ERROR and
      // the connect fails with it. Either way the client is reset.
      const std::error_code e = client ? co_await read_until_closed(*client) : client.error();
      BOOST_CHECK_MESSAGE(e == std::errc::connection_reset,
                          (client ? "client saw: " : "connect saw: ") << (e ? e.message() : "a clean end"));
      BOOST_CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    }
  }());
  started->check_settles_at(fds_idle);
  started->proc->signal(SIGTERM);
  BOOST_CHECK_EQUAL(started->proc->wait(15s), 0);
}

// Its own address as upstream is refused at start (it would connect to itself until EMFILE).
BOOST_AUTO_TEST_CASE(own_address_as_upstream_is_refused) {
  if (::access((examples + "/tcp_proxy").c_str(), X_OK) != 0) return skip("tcp_proxy is not built");
  std::string port;
  rt.block_on([&]() -> task<void> {
    auto l = loopback_listener();
    port = std::to_string(l.local_address()->port());
    co_return;
  }());
  child proxy({"/bin/sh", "-c", "exec \"$0\" --port \"$1\" --upstream \"127.0.0.1:$1\" 2>&1", examples + "/tcp_proxy", port}, true);
  const std::string line = proxy.first_line(10s);
  BOOST_CHECK_MESSAGE(line == "upstream 127.0.0.1:" + port + " is this proxy's own address", line);
  BOOST_CHECK_EQUAL(proxy.wait(10s), 2);
}

// With room for 4 pairs only, 2 more clients wait in the backlog while the proxy backs off
// (no busy loop on EMFILE, nobody reset), and are served as soon as 2 pairs close.
BOOST_AUTO_TEST_CASE(descriptor_limit_backs_off_and_recovers) {
  if (::access((examples + "/tcp_proxy").c_str(), X_OK) != 0) return skip("tcp_proxy is not built");
  std::unique_ptr<proxy_process> started;
  std::size_t fds_idle = 0;
  rt.block_on([&]() -> task<void> {
    auto upstream = loopback_listener();
    corio::task_group echoes;
    auto acceptor = corio::spawn(echo_server(upstream, echoes));
    started = std::make_unique<proxy_process>(upstream.local_address()->to_string());
    auto& proxy = *started;
    fds_idle = proxy.open_sockets();
    constexpr std::size_t pairs = 4;
    const rlim_t limit = limit_leaving(proxy.proc->pid(), static_cast<int>(2 * pairs));  // a client and its upstream each
    const rlimit room{limit, limit};
    BOOST_REQUIRE(::prlimit(proxy.proc->pid(), RLIMIT_NOFILE, &room, nullptr) == 0);

    auto echoed = [](tcp_stream& c, std::string_view msg, std::chrono::seconds limit) -> task<bool> {
      if (!co_await c.write_all(bytes(msg))) co_return false;
      std::vector<std::byte> back(msg.size());
      auto r = co_await corio::timeout(limit, c.read_exact(back));
      co_return r && text(back) == msg;
    };
    std::vector<tcp_stream> served, waiting;
    for (std::size_t i = 0; i < pairs; ++i) {
      auto c = co_await tcp_stream::connect(proxy.where);
      BOOST_REQUIRE(c);
      BOOST_REQUIRE(co_await echoed(*c, "served " + std::to_string(i), 5s));
      served.push_back(std::move(*c));
    }
    for (int i = 0; i < 2; ++i) {  // the kernel completes these handshakes from the backlog
      auto c = co_await tcp_stream::connect(proxy.where);
      BOOST_REQUIRE(c);
      BOOST_REQUIRE(co_await c->write_all(bytes("waiting")));
      waiting.push_back(std::move(*c));
    }
    const double cpu0 = cpu_seconds(proxy.proc->pid());
    std::array<std::byte, 7> buf;
    auto early = co_await corio::timeout(1s, waiting[0].read_exact(buf));
    BOOST_CHECK_MESSAGE(!early && early.error() == corio::make_error_code(corio::errc::timed_out),
                        "a client over the limit was answered or dropped: " << describe(early));
    const double spent = cpu_seconds(proxy.proc->pid()) - cpu0;
    BOOST_CHECK_MESSAGE(spent < 0.3, "the proxy used " << spent << " s of CPU in 1 s at the limit");

    served.erase(served.begin() + 2, served.end());  // two pairs close: room for the two waiting
    for (auto& c : waiting) {
      auto r = co_await corio::timeout(5s, c.read_exact(buf));
      BOOST_CHECK_MESSAGE(r && text(buf) == "waiting", "a waiting client was not served: " << describe(r));
    }
    BOOST_CHECK(co_await echoed(waiting[1], "and again", 5s));
    served.clear();
    waiting.clear();
    (void)co_await upstream.close();
    co_await acceptor;
    BOOST_CHECK(co_await echoes.shutdown(5s));  // every echo saw the proxy's FIN
  }());
  started->check_settles_at(fds_idle);
  started->proc->signal(SIGTERM);
  BOOST_CHECK_EQUAL(started->proc->wait(15s), 0);
}

BOOST_AUTO_TEST_SUITE_END()
