// corio's TLS against peers nobody here wrote: OpenSSL's s_server and s_client. 16 MiB each
// way with checksums, close_notify seen in both directions (the peers' -state trace), and
// certificate verification failing on a self-signed certificate unless its CA is trusted.
#include "tls_support.hpp"

#include <optional>

using namespace corio_tls_test;

namespace {

constexpr std::size_t sixteen_mib = 16u << 20;
constexpr auto peer_limit = std::chrono::seconds(120);  // a loaded 2-core machine, under ASan

bool ready(corio::runtime& rt) {
  if (have_openssl() && certs::get().ok) return true;
  skip(rt, "the openssl tool is missing or could not make certificates");
  return false;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// Writes `data`, reads exactly `expect` bytes back, concurrently (so neither side stalls).
task<std::vector<std::byte>> exchange(tls_stream& s, const std::vector<std::byte>& data, std::size_t expect) {
  auto [rd, wr] = std::move(s).split();
  auto writer = corio::spawn([](tls_write_half w, const std::vector<std::byte>& d) -> task<tls_write_half> {
    auto r = co_await w.write_all(d);
    BOOST_REQUIRE_MESSAGE(r, "write: " << describe(r));
    co_return std::move(w);
  }(std::move(wr), data));
  std::vector<std::byte> got(expect);
  auto r = co_await rd.read_exact(got);
  BOOST_REQUIRE_MESSAGE(r, "read: " << describe(r));
  auto w = co_await writer;
  BOOST_REQUIRE(w);
  auto whole = reunite(std::move(rd), std::move(*w));
  BOOST_REQUIRE(whole);
  s = std::move(*whole);
  co_return got;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tls_openssl, runtime_fixture)

BOOST_AUTO_TEST_CASE(corio_client_against_openssl_s_server) {
  if (!ready(rt)) return;
  const auto& c = certs::get();
  temp_dir dir;
  const auto port = free_port();
  peer_process server({"openssl", "s_server", "-accept", std::to_string(port), "-cert", c.server_crt, "-key",
                       c.server_key, "-quiet", "-naccept", "1", "-state"},
                      dir, "s_server");
  const auto to_client = random_bytes(sixteen_mib, 11), to_server = random_bytes(sixteen_mib, 12);
  server.feed(to_client);  // s_server sends its stdin to the client
  rt.block_on([](const std::vector<std::byte>& up, const std::vector<std::byte>& down, std::uint16_t port) -> task<void> {
    auto tcp = co_await connect_retrying(port);
    auto ctx = client_context();
    auto tls = tls_stream::client(std::move(tcp), ctx, "localhost");
    BOOST_REQUIRE(tls);
    auto h = co_await tls->handshake();
    BOOST_REQUIRE_MESSAGE(h, "handshake with s_server: " << describe(h));
    auto got = co_await exchange(*tls, up, down.size());
    BOOST_CHECK_EQUAL(checksum(got), checksum(down));
    // Our close_notify; s_server answers with its own, which read() reports as a clean 0.
    BOOST_REQUIRE(co_await tls->shutdown());
    std::array<std::byte, 256> buf;
    auto end = co_await corio::timeout(std::chrono::seconds(60), tls->read(buf));
    BOOST_REQUIRE_MESSAGE(end, "waiting for s_server's close_notify: " << describe(end));
    BOOST_CHECK_EQUAL(*end, 0u);
  }(to_server, to_client, port));
  BOOST_CHECK_EQUAL(server.wait(peer_limit), 0);
  const auto received = server.out();  // what s_server read from us, on its stdout
  BOOST_CHECK_EQUAL(received.size(), sixteen_mib);
  BOOST_CHECK_EQUAL(checksum(bytes(received)), checksum(to_server));
  const auto trace = server.err();
  BOOST_CHECK_MESSAGE(contains(trace, "SSL3 alert read:warning:close notify"), trace);
  BOOST_CHECK_MESSAGE(contains(trace, "SSL3 alert write:warning:close notify"), trace);
}

BOOST_AUTO_TEST_CASE(openssl_s_client_against_corio_server) {
  if (!ready(rt)) return;
  temp_dir dir;
  std::optional<peer_process> client;
  const auto to_server = random_bytes(sixteen_mib, 21), to_client = random_bytes(sixteen_mib, 22);
  rt.block_on([](std::optional<peer_process>& client, const temp_dir& dir, const std::vector<std::byte>& up,
                 const std::vector<std::byte>& down) -> task<void> {
    const auto& c = certs::get();
    auto l = loopback_listener();
    client.emplace(std::vector<std::string>{"openssl", "s_client", "-connect", l.local_address()->to_string(),
                                            "-CAfile", c.ca_crt, "-verify_return_error", "-servername", "localhost",
                                            "-quiet", "-state"},
                   dir, "s_client");
    client->feed(up);  // s_client sends its stdin; it stays open (-quiet ignores EOF)
    auto a = co_await corio::timeout(std::chrono::seconds(60), l.accept());
    BOOST_REQUIRE_MESSAGE(a, "accept s_client: " << describe(a));
    auto ctx = server_context();
    auto tls = tls_stream::server(std::move(a->stream), ctx);
    BOOST_REQUIRE(tls);
    auto h = co_await tls->handshake();
    BOOST_REQUIRE_MESSAGE(h, "handshake with s_client: " << describe(h));
    auto got = co_await exchange(*tls, down, up.size());
    BOOST_CHECK_EQUAL(checksum(got), checksum(up));
    // Our close_notify then FIN; s_client answers with its own close_notify and exits.
    auto r = co_await tls->graceful_close(std::chrono::seconds(60));
    BOOST_REQUIRE_MESSAGE(r, "graceful_close: " << describe(r));
    BOOST_CHECK(*r == close_outcome::peer_finished);
  }(client, dir, to_server, to_client));
  BOOST_CHECK_EQUAL(client->wait(peer_limit), 0);
  const auto received = client->out();
  BOOST_CHECK_EQUAL(received.size(), sixteen_mib);
  BOOST_CHECK_EQUAL(checksum(bytes(received)), checksum(to_client));
  const auto trace = client->err();
  BOOST_CHECK_MESSAGE(contains(trace, "SSL3 alert read:warning:close notify"), trace);
  BOOST_CHECK_MESSAGE(contains(trace, "SSL3 alert write:warning:close notify"), trace);
}

BOOST_AUTO_TEST_CASE(corio_client_refuses_a_self_signed_s_server_unless_trusted) {
  if (!ready(rt)) return;
  const auto& c = certs::get();
  temp_dir dir;
  const auto port = free_port();
  peer_process server({"openssl", "s_server", "-accept", std::to_string(port), "-cert", c.self_crt, "-key",
                       c.self_key, "-quiet", "-naccept", "2"},
                      dir, "s_server");
  rt.block_on([](std::uint16_t port, std::string self_crt) -> task<void> {
    {
      auto tcp = co_await connect_retrying(port);
      auto ctx = client_context();  // trusts the test CA only
      auto tls = tls_stream::client(std::move(tcp), ctx, "localhost");
      auto h = co_await tls->handshake();
      BOOST_REQUIRE(!h);
      BOOST_CHECK_EQUAL(h.error().message(), "certificate verify failed: self-signed certificate");
    }
    {
      auto tcp = co_await connect_retrying(port);
      auto ctx = client_context({}, self_crt);  // now it is trusted
      auto tls = tls_stream::client(std::move(tcp), ctx, "localhost");
      auto h = co_await tls->handshake();
      BOOST_CHECK_MESSAGE(h, "trusted self-signed: " << describe(h));
      BOOST_CHECK(co_await tls->shutdown());
    }
  }(port, c.self_crt));
  BOOST_CHECK_NE(server.wait(peer_limit), -1);  // it served both connections and exited
}

BOOST_AUTO_TEST_CASE(s_client_refuses_a_self_signed_corio_server_unless_given_it) {
  if (!ready(rt)) return;
  temp_dir dir;
  for (bool trusted : {false, true}) {
    std::optional<peer_process> client;
    rt.block_on([](std::optional<peer_process>& client, const temp_dir& dir, bool trusted) -> task<void> {
      const auto& c = certs::get();
      auto l = loopback_listener();
      client.emplace(std::vector<std::string>{"openssl", "s_client", "-connect", l.local_address()->to_string(),
                                              "-CAfile", trusted ? c.self_crt : c.ca_crt, "-verify_return_error",
                                              "-servername", "localhost", "-quiet"},
                     dir, trusted ? "trusted" : "refused");
      if (trusted) {
        auto ping = bytes("ping");
        client->feed(std::vector<std::byte>(ping.begin(), ping.end()));
      }
      auto a = co_await corio::timeout(std::chrono::seconds(60), l.accept());
      BOOST_REQUIRE(a);
      auto ctx = server_context(true);
      auto tls = tls_stream::server(std::move(a->stream), ctx);
      auto h = co_await tls->handshake();
      if (!trusted) {
        // TLS 1.3: the server's handshake may be done before the client judges the
        // certificate; the client's alert then arrives with the first read.
        std::array<std::byte, 16> buf;
        corio::result<std::size_t> r = tl::unexpected(h ? std::error_code() : h.error());
        if (h) r = co_await tls->read(buf);
        BOOST_REQUIRE(!r);
        BOOST_TEST_MESSAGE("corio server saw: " << r.error().message());
        BOOST_CHECK(contains(r.error().message(), "alert"));
      } else {
        BOOST_REQUIRE_MESSAGE(h, describe(h));
        std::array<std::byte, 4> buf;
        BOOST_REQUIRE(co_await tls->read_exact(buf));
        BOOST_CHECK_EQUAL(text(buf), "ping");
        BOOST_CHECK(co_await tls->graceful_close(std::chrono::seconds(30)));
      }
    }(client, dir, trusted));
    const int status = client->wait(peer_limit);
    if (!trusted) {
      BOOST_CHECK_NE(status, 0);
      BOOST_CHECK_MESSAGE(contains(client->err(), "self-signed certificate"), client->err());
    } else {
      BOOST_CHECK_EQUAL(status, 0);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
