// Issue 6 on every driver: full-duplex through split halves, graceful close, racing operations
// against closed() and timers, and a task_group of connections shut down by a deadline.
#include "net_support.hpp"

#include <vector>

using namespace corio_test;
using namespace corio_net_test;
using clk = std::chrono::steady_clock;

namespace {

constexpr std::size_t big = 64u << 20;

task<std::uint64_t> send_all(write_half<tcp_stream> wr, const std::vector<std::byte>& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    std::size_t n = std::min<std::size_t>(256 * 1024, data.size() - off);
    auto w = co_await wr.write_all(std::span(data).subspan(off, n));
    BOOST_REQUIRE_MESSAGE(w, "write: " << describe(w));
    off += n;
  }
  co_return checksum(data);
}  // dropping the write half sends FIN

task<std::uint64_t> receive_all(read_half<tcp_stream>& rd, std::size_t expected) {
  std::vector<std::byte> got;
  got.reserve(expected);
  std::vector<std::byte> buf(256 * 1024);
  for (;;) {
    auto n = co_await rd.read(buf);
    BOOST_REQUIRE_MESSAGE(n, "read: " << describe(n));
    if (*n == 0) break;
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  BOOST_CHECK_EQUAL(got.size(), expected);
  co_return checksum(got);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stream_split, runtime_fixture)

BOOST_AUTO_TEST_CASE(sixty_four_mib_each_way_through_two_halves) {
  auto body = []() -> task<void> {
    auto [a, b] = co_await tcp_pair();
    auto data_a = random_bytes(big, 1);
    auto data_b = random_bytes(big, 2);
    auto [ard, awr] = std::move(a).split();
    auto [brd, bwr] = std::move(b).split();
    // Four tasks: each side writes through its write half while reading through its read half.
    auto sa = corio::spawn(send_all(std::move(awr), data_a));
    auto sb = corio::spawn(send_all(std::move(bwr), data_b));
    auto ra = corio::spawn(receive_all(ard, big));
    auto rb = corio::spawn(receive_all(brd, big));
    auto got_at_b = co_await rb;
    auto got_at_a = co_await ra;
    BOOST_CHECK_EQUAL(*got_at_b, *co_await sa);
    BOOST_CHECK_EQUAL(*got_at_a, *co_await sb);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(graceful_close_with_a_peer_that_finishes) {
  auto body = []() -> task<void> {
    auto [a, b] = co_await tcp_pair();
    auto peer = corio::spawn(echo_until_eof(std::move(b)));  // reads to EOF, then closes
    auto w = co_await a.write_all(bytes("bye"));
    BOOST_REQUIRE(w);
    auto r = co_await a.graceful_close(5s);
    BOOST_REQUIRE_MESSAGE(r, describe(r));
    BOOST_CHECK(*r == corio::close_outcome::peer_finished);
    co_await peer;
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(graceful_close_with_a_peer_that_never_does) {
  auto body = []() -> task<void> {
    auto [a, b] = co_await tcp_pair();  // b is held open and never read
    auto t0 = clk::now();
    auto r = co_await a.graceful_close(300ms);
    auto took = clk::now() - t0;
    BOOST_REQUIRE_MESSAGE(r, describe(r));
    BOOST_CHECK(*r == corio::close_outcome::deadline_passed);
    BOOST_CHECK(took >= 300ms);
    BOOST_CHECK_MESSAGE(took < 300ms + 200ms, "graceful_close took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    std::array<std::byte, 8> buf;
    auto eof = co_await b.read(buf);  // we shut down writing: the peer reads end-of-stream
    BOOST_CHECK(eof && *eof == 0);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(when_any_read_or_closed_leaves_the_stream_usable) {
  auto body = []() -> task<void> {
    auto [a, b] = co_await tcp_pair();
    std::array<std::byte, 16> buf;
    // Data arrives: the read wins, closed() is cancelled.
    auto w = co_await b.write_all(bytes("hello"));
    BOOST_REQUIRE(w);
    auto r = co_await corio::when_any(a.read(buf), a.closed());
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(r->index, 0u);
    BOOST_CHECK_EQUAL(text(std::span(buf).first(*r->get<0>())), "hello");
    // Idle: a sleep wins against the read; the read is cancelled and the stream still works.
    auto s = co_await corio::when_any(a.read(buf), corio::sleep_for(20ms));
    BOOST_REQUIRE(s);
    BOOST_CHECK_EQUAL(s->index, 1u);
    BOOST_CHECK_EQUAL(corio::this_runtime_stats().ops_in_flight, 0u);
    BOOST_REQUIRE(co_await b.write_all(bytes("again")));
    auto n = co_await a.read(buf);
    BOOST_REQUIRE(n);
    BOOST_CHECK_EQUAL(text(std::span(buf).first(*n)), "again");
    // The peer leaves: closed() wins against a pending read on the same stream.
    auto t0 = clk::now();
    auto leave = corio::spawn([](tcp_stream b) -> task<void> {
      co_await corio::sleep_for(20ms);
      co_return;  // dropping b closes it
    }(std::move(b)));
    auto c = co_await corio::when_any(corio::sleep_for(30s), a.closed());
    BOOST_REQUIRE(c);
    BOOST_CHECK_EQUAL(c->index, 1u);
    BOOST_CHECK(clk::now() - t0 < 2s);
    co_await leave;
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(task_group_of_a_thousand_connections_shuts_down_on_time) {
  auto body = []() -> task<void> {
    auto l = loopback_listener();
    std::vector<tcp_stream> clients;
    corio::task_group connections;
    for (int i = 0; i < 1000; ++i) {
      auto c = corio::spawn(tcp_stream::connect(*l.local_address()));
      auto s = co_await l.accept();
      BOOST_REQUIRE(s);
      auto cs = co_await c;
      BOOST_REQUIRE(cs && *cs);
      clients.push_back(std::move(**cs));
      connections.spawn(echo_until_eof(std::move(s->stream)));  // idle: never ends on its own
    }
    auto t0 = clk::now();
    bool in_time = co_await connections.shutdown(clk::now() + 200ms);
    auto took = clk::now() - t0;
    BOOST_CHECK(!in_time);
    BOOST_CHECK_EQUAL(connections.size(), 0u);
    BOOST_CHECK_MESSAGE(took < 2s, "shutdown took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    // Every server side is closed: each client reads end-of-stream.
    std::array<std::byte, 8> buf;
    int eofs = 0;
    for (auto& c : clients) {
      auto n = co_await corio::timeout(2s, c.read(buf));
      if (n && *n == 0) ++eofs;
    }
    BOOST_CHECK_EQUAL(eofs, 1000);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_SUITE_END()
