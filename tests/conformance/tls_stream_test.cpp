// TLS between two corio streams in one runtime: handshake and ALPN, data both ways through
// split halves, close_notify in both directions, truncation, verification failures, polite
// drops, timeouts, interrupted writes, and TLS over a Unix-domain stream.
#include "tls_support.hpp"

using namespace corio_tls_test;

namespace {

#define REQUIRE_CERTS()                                                          \
  do {                                                                           \
    if (!have_openssl() || !certs::get().ok) {                                   \
      skip(rt, "the openssl tool is missing or could not make certificates");   \
      return;                                                                    \
    }                                                                            \
  } while (0)

// Reads until close_notify (0); the bytes read.
template <class S>
task<std::vector<std::byte>> read_to_end(S& s) {
  std::vector<std::byte> got, buf(40'000);
  for (;;) {
    auto n = co_await s.read(buf);
    BOOST_REQUIRE_MESSAGE(n, "read: " << describe(n));
    if (*n == 0) break;
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  co_return got;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tls_stream_suite, runtime_fixture)

BOOST_AUTO_TEST_CASE(handshake_alpn_and_version) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    auto cctx = client_context({"h2", "http/1.1"});
    auto sctx = server_context(false, {"http/1.1", "h2"});
    auto [client, server] = co_await tls_pair(cctx, sctx);
    co_await handshake_both(client, server);
    BOOST_CHECK_EQUAL(client.alpn_protocol(), "http/1.1");  // the server's preference wins
    BOOST_CHECK_EQUAL(server.alpn_protocol(), "http/1.1");
    BOOST_CHECK_EQUAL(client.protocol_version(), "TLSv1.3");
  }());
}

BOOST_AUTO_TEST_CASE(four_mib_each_way_through_split_halves_then_close_notify_both_ways) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tls_pair(client_context(), server_context());
    // No explicit handshake: the first read or write runs it.
    const auto up = random_bytes(4 << 20, 1), down = random_bytes(4 << 20, 2);
    auto srv = corio::spawn([](tls_stream s, std::vector<std::byte> reply) -> task<std::vector<std::byte>> {
      auto [rd, wr] = std::move(s).split();
      auto w = corio::spawn([](tls_write_half wr, std::vector<std::byte> data) -> task<void> {
        BOOST_REQUIRE(co_await wr.write_all(data));
        BOOST_REQUIRE(co_await wr.shutdown());  // close_notify, then FIN
      }(std::move(wr), std::move(reply)));
      auto got = co_await read_to_end(rd);  // ends at the client's close_notify
      BOOST_CHECK(co_await w);
      co_return got;
    }(std::move(server), down));
    auto [rd, wr] = std::move(client).split();
    auto w = corio::spawn([](tls_write_half wr, const std::vector<std::byte>& data) -> task<void> {
      std::size_t off = 0, chunk = 1;  // uneven writes
      while (off < data.size()) {
        auto n = std::min(chunk, data.size() - off);
        BOOST_REQUIRE(co_await wr.write_all(std::span(data).subspan(off, n)));
        off += n;
        chunk = chunk * 5 + 3;
        if (chunk > 300'000) chunk = 7;
      }
      BOOST_REQUIRE(co_await wr.shutdown());
    }(std::move(wr), up));
    auto got = co_await read_to_end(rd);
    BOOST_CHECK(co_await w);
    auto server_got = co_await srv;
    BOOST_REQUIRE(server_got);
    BOOST_CHECK_EQUAL(got.size(), down.size());
    BOOST_CHECK_EQUAL(checksum(got), checksum(down));
    BOOST_CHECK_EQUAL(server_got->size(), up.size());
    BOOST_CHECK_EQUAL(checksum(*server_got), checksum(up));
    auto again = co_await rd.read(std::span<std::byte>());
    BOOST_CHECK(again && *again == 0);
  }());
}

BOOST_AUTO_TEST_CASE(a_cut_without_close_notify_is_truncation_not_end_of_stream) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tls_pair(client_context(), server_context());
    co_await handshake_both(client, server);
    BOOST_REQUIRE(co_await server.write_all(bytes("partial")));
    ::shutdown(server.native_handle(), SHUT_RDWR);  // TCP ends; TLS never said goodbye
    std::array<std::byte, 64> buf;
    auto n = co_await client.read(buf);
    BOOST_REQUIRE(n);
    BOOST_CHECK_EQUAL(text(std::span(buf).first(*n)), "partial");
    auto cut = co_await client.read(buf);
    BOOST_REQUIRE(!cut);
    BOOST_CHECK(cut.error() == tls_errc::truncated);
    BOOST_CHECK(cut.error() != corio::errc::end_of_stream);
    BOOST_TEST_MESSAGE("truncation: " << cut.error().message());
  }());
}

BOOST_AUTO_TEST_CASE(verification_failures_say_why) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    // A self-signed server certificate, not signed by the CA the client trusts.
    {
      auto [client, server] = co_await tls_pair(client_context(), server_context(true));
      auto srv = corio::spawn(server.handshake());
      auto h = co_await client.handshake();
      BOOST_REQUIRE(!h);
      BOOST_CHECK(h.error().category() == openssl_category());
      BOOST_CHECK_EQUAL(h.error().message(), "certificate verify failed: self-signed certificate");
      auto s = co_await srv;
      BOOST_REQUIRE(s);
      BOOST_REQUIRE(!*s);  // the client's alert
      BOOST_TEST_MESSAGE("server saw: " << s->error().message());
      BOOST_CHECK_NE(s->error().message().find("alert"), std::string::npos);
    }
    // The same certificate is fine once the client trusts it.
    {
      auto [client, server] = co_await tls_pair(client_context({}, certs::get().self_crt), server_context(true));
      co_await handshake_both(client, server);
    }
    // A valid certificate for another name.
    {
      auto [client, server] = co_await tls_pair(client_context(), server_context(), "other.example");
      auto srv = corio::spawn(server.handshake());
      auto h = co_await client.handshake();
      BOOST_REQUIRE(!h);
      BOOST_CHECK_EQUAL(h.error().message(), "certificate verify failed: hostname mismatch");
      (void)co_await srv;
    }
    // An IP address is checked against the certificate's IP names.
    {
      auto [client, server] = co_await tls_pair(client_context(), server_context(), "127.0.0.1");
      co_await handshake_both(client, server);
    }
  }());
}

BOOST_AUTO_TEST_CASE(graceful_close_waits_for_the_peers_close_notify) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tls_pair(client_context(), server_context());
    co_await handshake_both(client, server);
    auto srv = corio::spawn([](tls_stream s) -> task<void> {
      auto got = co_await read_to_end(s);  // the client's close_notify ends it
      BOOST_CHECK(got.empty());
      auto r = co_await s.graceful_close(std::chrono::seconds(10));
      BOOST_REQUIRE_MESSAGE(r, describe(r));
      BOOST_CHECK(*r == close_outcome::peer_finished);  // the client's close_notify came first
    }(std::move(server)));
    auto r = co_await client.graceful_close(std::chrono::seconds(20));
    BOOST_REQUIRE_MESSAGE(r, "graceful_close: " << describe(r));
    BOOST_CHECK(*r == close_outcome::peer_finished);
    BOOST_CHECK(!client.valid());
    BOOST_CHECK(co_await srv);
  }());
}

BOOST_AUTO_TEST_CASE(dropping_the_write_half_sends_close_notify_then_fin) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tls_pair(client_context(), server_context());
    co_await handshake_both(client, server);
    auto [rd, wr] = std::move(client).split();
    BOOST_REQUIRE(co_await wr.write_all(bytes("last words")));
    { auto dropped = std::move(wr); }  // close_notify and FIN follow in the background
    std::array<std::byte, 64> buf;
    BOOST_REQUIRE(co_await server.read_exact(std::span(buf).first(10)));
    auto end = co_await server.read(buf);
    BOOST_REQUIRE_MESSAGE(end, describe(end));
    BOOST_CHECK_EQUAL(*end, 0u);  // close_notify, not a truncation
    BOOST_CHECK(co_await corio::timeout(std::chrono::seconds(10), server.closed()));  // and FIN
    // The read half still reads.
    BOOST_REQUIRE(co_await server.write_all(bytes("reply")));
    BOOST_REQUIRE(co_await rd.read_exact(std::span(buf).first(5)));
    BOOST_CHECK_EQUAL(text(std::span(buf).first(5)), "reply");
    BOOST_REQUIRE(co_await server.shutdown());
    auto fin = co_await rd.read(buf);
    BOOST_CHECK(fin && *fin == 0);
  }());
}

BOOST_AUTO_TEST_CASE(a_read_timeout_leaves_the_stream_usable) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tls_pair(client_context(), server_context());
    co_await handshake_both(client, server);
    std::array<std::byte, 16> buf;
    auto t = co_await corio::timeout(std::chrono::milliseconds(20), client.read(buf));
    BOOST_REQUIRE(!t);
    BOOST_CHECK(t.error() == corio::errc::timed_out);
    BOOST_REQUIRE(co_await server.write_all(bytes("still here")));
    BOOST_REQUIRE(co_await client.read_exact(std::span(buf).first(10)));
    BOOST_CHECK_EQUAL(text(std::span(buf).first(10)), "still here");
  }());
}

BOOST_AUTO_TEST_CASE(a_write_cut_by_a_timeout_stops_further_writes) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tls_pair(client_context(), server_context());
    co_await handshake_both(client, server);
    const auto big = random_bytes(64 << 20, 3);  // more than the socket buffers hold
    auto t = co_await corio::timeout(std::chrono::milliseconds(200), client.write_all(big));
    BOOST_REQUIRE(!t);
    auto next = co_await client.write(bytes("x"));
    BOOST_REQUIRE(!next);
    BOOST_CHECK(next.error() == tls_errc::write_interrupted);
  }());
}

BOOST_AUTO_TEST_CASE(tls_over_a_unix_stream) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    temp_dir dir;
    auto where = address::unix_path(dir.file("tls.sock"));
    BOOST_REQUIRE(where);
    auto l = unix_listener::bind(*where);
    BOOST_REQUIRE(l);
    auto c = co_await unix_stream::connect(*where);
    BOOST_REQUIRE(c);
    auto a = co_await l->accept();
    BOOST_REQUIRE(a);
    auto cctx = client_context();
    auto sctx = server_context();
    auto client = tls_stream::client(std::move(*c), cctx, "localhost");
    auto server = tls_stream::server(std::move(a->stream), sctx);
    BOOST_REQUIRE(client && server);
    co_await handshake_both(*client, *server);
    BOOST_REQUIRE(co_await client->write_all(bytes("over unix")));
    std::array<std::byte, 9> buf;
    BOOST_REQUIRE(co_await server->read_exact(buf));
    BOOST_CHECK_EQUAL(text(buf), "over unix");
  }());
}

BOOST_AUTO_TEST_CASE(bad_configuration_is_a_clear_error) {
  auto missing = tls_context::server({.cert_chain_file = "/nonexistent.pem", .private_key_file = "/nonexistent.key"});
  BOOST_REQUIRE(!missing);
  BOOST_TEST_MESSAGE("missing certificate: " << missing.error().message());
  auto none = tls_context::server({});
  BOOST_REQUIRE(!none);
  BOOST_CHECK(none.error() == corio::errc::invalid_argument);
  auto bad_alpn = tls_context::client({.alpn = {std::string(300, 'x')}});
  BOOST_REQUIRE(!bad_alpn);
  BOOST_CHECK(bad_alpn.error() == corio::errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(streams_left_open_at_shutdown_leak_nothing) {
  REQUIRE_CERTS();
  rt.block_on([]() -> task<void> {
    for (int i = 0; i < 5; ++i) {
      auto [client, server] = co_await tls_pair(client_context(), server_context());
      co_await handshake_both(client, server);
      // A pending read on each, then the runtime shuts down with them in flight.
      corio::spawn([](tls_stream s) -> task<void> {
        std::array<std::byte, 16> buf;
        (void)co_await s.read(buf);
      }(std::move(client))).detach();
      corio::spawn([](tls_stream s) -> task<void> {
        std::array<std::byte, 16> buf;
        (void)co_await s.read(buf);
      }(std::move(server))).detach();
    }
  }());
}

BOOST_AUTO_TEST_SUITE_END()
