// The TLS examples, run as processes: https_hello fetched by curl, tls_echo_server driven by a
// corio TLS client.
#include "child_process.hpp"
#include "tls_support.hpp"

#include <optional>

using namespace corio_tls_test;

namespace {


bool ready(const char* example) {
  if (!have_openssl() || !certs::get().ok) {
    skip("the openssl tool is missing or could not make certificates");
    return false;
  }
  if (::access((examples + "/" + example).c_str(), X_OK) != 0) {
    skip(std::string("example ") + example + " is not built");
    return false;
  }
  return true;
}

/// The address an example printed as "listening on ADDRESS".
std::string listening_on(child& c) {
  auto line = c.first_line(std::chrono::seconds(30));
  const std::string prefix = "listening on ";
  BOOST_REQUIRE_MESSAGE(line.starts_with(prefix), "the example printed '" << line << "'");
  return line.substr(prefix.size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_example)

BOOST_AUTO_TEST_CASE(curl_fetches_from_https_hello) {
  if (!ready("https_hello")) return;
  if (std::system("curl --version >/dev/null 2>&1") != 0) return skip("curl is not installed");
  const auto& c = certs::get();
  clean_shutdown_check check;
  {
    temp_dir dir;
    child server({examples + "/https_hello", "--port", "0", "--cert", c.server_crt, "--key", c.server_key,
                  "--requests", "1"},
                 true);
    auto where = listening_on(server);
    auto addr = address::parse(where);
    BOOST_REQUIRE(addr);
    const auto port = std::to_string(addr->port());
    const std::string url = "https://localhost:" + port + "/";
    const std::string pin = "localhost:" + port + ":127.0.0.1";  // no surprise from ::1
    {  // Without our CA, curl refuses the certificate (60: peer certificate cannot be authenticated).
      peer_process curl({"curl", "-sS", "--max-time", "60", "--resolve", pin, url}, dir, "untrusted");
      curl.close_input();
      BOOST_CHECK_EQUAL(curl.wait(std::chrono::seconds(90)), 60);
    }
    peer_process curl({"curl", "-sS", "--max-time", "60", "--http1.1", "--cacert", c.ca_crt, "--resolve", pin,
                       "-w", "%{http_code} %{http_version}\\n", url},
                      dir, "trusted");
    curl.close_input();
    BOOST_CHECK_EQUAL(curl.wait(std::chrono::seconds(90)), 0);
    BOOST_CHECK_EQUAL(curl.out(), "hello from corio over TLS\n200 1.1\n");
    BOOST_TEST_MESSAGE("curl: " << curl.err());
    BOOST_CHECK_EQUAL(server.wait(std::chrono::seconds(30)), 0);  // --requests 1
  }
  check.expect_no_fd_leak();
}

BOOST_AUTO_TEST_CASE(tls_echo_server_echoes_and_closes_politely) {
  if (!ready("tls_echo_server")) return;
  const auto& c = certs::get();
  child server({examples + "/tls_echo_server", c.server_crt, c.server_key, "0", "--once"}, true);
  auto where = address::parse(listening_on(server));
  BOOST_REQUIRE(where);
  runtime_fixture f;
  f.rt.block_on([](address where) -> task<void> {
    auto tcp = co_await tcp_stream::connect(where);
    BOOST_REQUIRE(tcp);
    auto ctx = client_context();
    auto tls = tls_stream::client(std::move(*tcp), ctx, "localhost");
    BOOST_REQUIRE(tls);
    const auto payload = random_bytes(1 << 20, 5);
    auto [rd, wr] = std::move(*tls).split();
    auto writer = corio::spawn([](tls_write_half w, const std::vector<std::byte>& d) -> task<void> {
      BOOST_REQUIRE(co_await w.write_all(d));
      BOOST_REQUIRE(co_await w.shutdown());  // close_notify: the server echoes what is left, then closes
    }(std::move(wr), payload));
    std::vector<std::byte> got(payload.size());
    auto r = co_await rd.read_exact(got);
    BOOST_REQUIRE_MESSAGE(r, "echo: " << describe(r));
    BOOST_CHECK_EQUAL(checksum(got), checksum(payload));
    std::array<std::byte, 16> buf;
    auto end = co_await corio::timeout(std::chrono::seconds(30), rd.read(buf));
    BOOST_REQUIRE_MESSAGE(end, "the server's close_notify: " << describe(end));
    BOOST_CHECK_EQUAL(*end, 0u);
    BOOST_CHECK(co_await writer);
  }(*where));
  BOOST_CHECK_EQUAL(server.wait(std::chrono::seconds(30)), 0);
}

BOOST_AUTO_TEST_SUITE_END()
