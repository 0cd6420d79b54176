// Split streams: a read and a write in flight at once on the two halves, a dropped write half
// sends FIN while the read half keeps receiving, reunite of matching and mismatched halves.
#include "net_support.hpp"

using namespace corio_test;
using namespace corio_net_test;

BOOST_FIXTURE_TEST_SUITE(net_split, runtime_fixture)

BOOST_AUTO_TEST_CASE(read_and_write_in_flight_at_once) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    auto [rd, wr] = std::move(client).split();
    // The read is pending (nothing sent yet) while the write runs on the other half.
    auto reader = corio::spawn([](tcp_read_half& r) -> task<std::string> {
      std::array<std::byte, 16> buf;
      auto n = co_await r.read(buf);
      BOOST_REQUIRE_MESSAGE(n, describe(n));
      co_return std::string(text(std::span(buf).first(*n)));
    }(rd));
    co_await corio::yield_now();
    BOOST_CHECK(!reader.finished());
    // A large write, so it is itself pending for a while.
    auto big = random_bytes(4 << 20, 8);
    auto writer = corio::spawn([](tcp_write_half& w, std::span<const std::byte> data) -> task<void> {
      auto r = co_await w.write_all(data);
      BOOST_REQUIRE_MESSAGE(r, describe(r));
    }(wr, big));
    std::vector<std::byte> got(big.size());
    auto answered = false;
    std::size_t off = 0;
    while (off < got.size()) {
      auto n = co_await server.read(std::span(got).subspan(off));
      BOOST_REQUIRE(n && *n > 0);
      off += *n;
      if (!answered) {  // answer while the writer is still busy
        BOOST_CHECK(co_await server.write_all(bytes("answer")));
        answered = true;
      }
    }
    BOOST_CHECK(co_await writer);
    auto answer = co_await reader;
    BOOST_REQUIRE(answer);
    BOOST_CHECK_EQUAL(*answer, "answer");
    BOOST_CHECK_EQUAL(checksum(got), checksum(big));
  }());
}

BOOST_AUTO_TEST_CASE(dropping_the_write_half_sends_fin_while_reading_goes_on) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    auto [rd, wr] = std::move(client).split();
    BOOST_CHECK(co_await wr.write_all(bytes("bye")));
    { auto dropped = std::move(wr); }
    std::array<std::byte, 8> buf;
    BOOST_REQUIRE(co_await server.read_exact(std::span(buf).first(3)));
    auto n = co_await corio::timeout(5s, server.read(buf));
    BOOST_REQUIRE(n);
    BOOST_CHECK_EQUAL(*n, 0u);  // the peer saw end-of-stream
    BOOST_CHECK(co_await server.write_all(bytes("still here")));
    BOOST_REQUIRE(co_await rd.read_exact(std::span(buf).first(5)));
    BOOST_CHECK_EQUAL(text(std::span(buf).first(5)), "still");
  }());
}

BOOST_AUTO_TEST_CASE(reunite_matching_and_mismatched_halves) {
  rt.block_on([]() -> task<void> {
    auto [c1, s1] = co_await tcp_pair();
    auto [c2, s2] = co_await tcp_pair();
    auto [rd1, wr1] = std::move(c1).split();
    auto [rd2, wr2] = std::move(c2).split();

    auto bad = reunite(std::move(rd1), std::move(wr2));
    BOOST_REQUIRE(!bad);
    BOOST_CHECK(bad.error().error == corio::errc::mismatched_halves);
    // The halves come back untouched.
    rd1 = std::move(bad.error().read);
    wr2 = std::move(bad.error().write);
    BOOST_CHECK(rd1.valid() && wr2.valid());

    auto one = corio::net::reunite(std::move(rd1), std::move(wr1));
    BOOST_REQUIRE(one);
    auto two = corio::net::reunite(std::move(rd2), std::move(wr2));
    BOOST_REQUIRE(two);
    // Reunited streams were never half-closed: both directions still work.
    BOOST_CHECK(co_await one->write_all(bytes("one")));
    BOOST_CHECK(co_await two->write_all(bytes("two")));
    std::array<std::byte, 3> buf;
    BOOST_REQUIRE(co_await s1.read_exact(buf));
    BOOST_CHECK_EQUAL(text(buf), "one");
    BOOST_REQUIRE(co_await s2.read_exact(buf));
    BOOST_CHECK_EQUAL(text(buf), "two");
    BOOST_CHECK(co_await s1.write_all(bytes("ack")));
    BOOST_REQUIRE(co_await one->read_exact(buf));
    BOOST_CHECK_EQUAL(text(buf), "ack");
    BOOST_CHECK(!(co_await corio::timeout(20ms, s2.closed())));  // no FIN reached s2
  }());
}

BOOST_AUTO_TEST_CASE(unix_stream_halves) {
  rt.block_on([]() -> task<void> {
    auto p = unix_stream::pair();
    BOOST_REQUIRE(p);
    auto [a, b] = std::move(*p);
    auto [rd, wr] = std::move(a).split();
    BOOST_CHECK(co_await wr.write_all(bytes("hi")));
    std::array<std::byte, 2> buf;
    BOOST_REQUIRE(co_await b.read_exact(buf));
    BOOST_CHECK(co_await b.write_all(bytes("yo")));
    BOOST_REQUIRE(co_await rd.read_exact(buf));
    BOOST_CHECK_EQUAL(text(buf), "yo");
    auto whole = reunite(std::move(rd), std::move(wr));
    BOOST_REQUIRE(whole);
    BOOST_CHECK(co_await whole->close());
  }());
}

// A branch of when_all that finishes releases its frame at once: the write half it owned sends
// its FIN while the other branch still runs. Here the other branch waits for the peer's EOF,
// which the peer sends only after it has seen ours: kept alive until when_all ended, the half
// would deadlock the pair (the peer's read would time out).
BOOST_AUTO_TEST_CASE(when_all_branch_that_finishes_releases_its_write_half) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    auto peer = corio::spawn([](tcp_stream s) -> task<std::string> {
      std::string got;
      std::array<std::byte, 64> buf;
      for (;;) {
        auto n = co_await corio::timeout(5s, s.read(buf));
        if (!n) co_return "peer read failed: " + n.error().message();
        if (*n == 0) break;
        got += text(std::span(buf).first(*n));
      }
      (void)co_await s.shutdown();  // our EOF, only once theirs arrived
      co_return got;
    }(std::move(server)));
    auto [rd, wr] = std::move(client).split();
    auto r = co_await corio::when_all(
        [](tcp_write_half w) -> task<bool> { co_return bool(co_await w.write_all(bytes("request"))); }(std::move(wr)),
        [](tcp_read_half& r) -> task<std::size_t> {
          std::array<std::byte, 16> buf;
          auto n = co_await corio::timeout(10s, r.read(buf));
          co_return n ? *n : 999;
        }(rd));
    BOOST_REQUIRE(r);
    BOOST_CHECK(std::get<0>(*r));
    BOOST_CHECK_EQUAL(std::get<1>(*r), 0u);  // the peer's EOF reached the reading branch
    auto got = co_await peer;
    BOOST_REQUIRE(got);
    BOOST_CHECK_EQUAL(*got, "request");
  }());
}

// abort(): RST instead of FIN, on a whole stream.
BOOST_AUTO_TEST_CASE(abort_resets_the_peer) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    BOOST_CHECK(co_await client.write_all(bytes("x")));
    client.abort();
    BOOST_CHECK(!client.valid());
    std::array<std::byte, 8> buf;
    std::error_code seen;
    for (int i = 0; i < 3 && !seen; ++i) {  // the byte may arrive before the reset
      auto n = co_await corio::timeout(5s, server.read(buf));
      if (!n) seen = n.error();
      else if (*n == 0) break;
    }
    BOOST_CHECK_MESSAGE(seen == std::errc::connection_reset, seen.message());
  }());
}

// Aborting a write half sends no FIN; once the read half aborts too, the peer gets RST.
BOOST_AUTO_TEST_CASE(aborting_both_halves_resets_without_fin) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    auto [rd, wr] = std::move(client).split();
    wr.abort();
    BOOST_CHECK(!wr.valid());
    std::array<std::byte, 8> buf;
    auto early = co_await corio::timeout(200ms, server.read(buf));
    BOOST_REQUIRE(!early);  // neither FIN (a 0 read) nor anything else yet
    BOOST_CHECK(early.error() == corio::make_error_code(corio::errc::timed_out));
    rd.abort();
    auto n = co_await corio::timeout(5s, server.read(buf));
    BOOST_REQUIRE(!n);
    BOOST_CHECK_MESSAGE(n.error() == std::errc::connection_reset, n.error().message());
  }());
}

// The TCP socket options work on both halves (they share one socket).
BOOST_AUTO_TEST_CASE(socket_options_on_halves) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    auto [rd, wr] = std::move(client).split();
    BOOST_CHECK(rd.set_nodelay(true));
    auto on = wr.nodelay();
    BOOST_REQUIRE(on);
    BOOST_CHECK(*on);
    BOOST_CHECK(wr.set_nodelay(false));
    BOOST_CHECK(!*rd.nodelay());
    BOOST_CHECK(wr.set_keepalive(10s, 2s, 3));
    BOOST_CHECK(rd.disable_keepalive());
    BOOST_CHECK(wr.set_keepalive(0s, 2s, 3).error() == corio::make_error_code(corio::errc::invalid_argument));
    BOOST_CHECK(rd.set_linger(std::chrono::seconds(70000)).error() ==
                corio::make_error_code(corio::errc::invalid_argument));
    // set_linger(0s) on a half arms the reset of the one socket both halves share.
    BOOST_CHECK(rd.set_linger(0s));
    ::linger l{};
    ::socklen_t len = sizeof(l);
    BOOST_REQUIRE_EQUAL(::getsockopt(wr.native_handle(), SOL_SOCKET, SO_LINGER, &l, &len), 0);
    BOOST_CHECK_EQUAL(l.l_onoff, 1);
    BOOST_CHECK_EQUAL(l.l_linger, 0);
    auto moved = std::move(rd);
    BOOST_CHECK(rd.set_nodelay(true).error() == corio::make_error_code(corio::errc::closed_handle));
    BOOST_CHECK(rd.nodelay().error() == corio::make_error_code(corio::errc::closed_handle));
    // Dropping the write half sends FIN; the close (when `moved` goes) then sends RST: the
    // peer first sees end-of-stream, then its writes fail.
    { auto gone = std::move(wr); }
    std::array<std::byte, 8> buf;
    auto n = co_await corio::timeout(5s, server.read(buf));
    BOOST_REQUIRE(n);
    BOOST_CHECK_EQUAL(*n, 0u);
  }());
}

BOOST_AUTO_TEST_SUITE_END()
