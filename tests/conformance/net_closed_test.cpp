// closed(): the peer hanging up is noticed at once — on an idle stream, while a read is
// pending on the same stream, and on a reset — and not before.
#include "net_support.hpp"

using namespace corio_test;
using namespace corio_net_test;

namespace {

using clock_type = std::chrono::steady_clock;

/// Closes `s` after `delay`, recording when the close was issued.
task<void> close_later(tcp_stream s, std::chrono::milliseconds delay, clock_type::time_point& at, bool reset) {
  co_await corio::sleep_for(delay);
  if (reset) BOOST_REQUIRE(s.set_linger(std::chrono::seconds(0)));
  at = clock_type::now();
  BOOST_CHECK(co_await s.close());
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(net_closed, runtime_fixture)

BOOST_AUTO_TEST_CASE(fires_within_200ms_on_an_idle_stream) {
  rt.block_on([]() -> task<void> {
    for (bool reset : {false, true}) {
      auto [client, server] = co_await tcp_pair();
      clock_type::time_point closed_at;
      auto closer = corio::spawn(close_later(std::move(client), 30ms, closed_at, reset));
      auto r = co_await corio::timeout(5s, server.closed());
      auto noticed = clock_type::now();
      BOOST_CHECK_MESSAGE(r, "closed(): " << describe(r));
      BOOST_CHECK(co_await closer);
      BOOST_CHECK_LT(std::chrono::duration_cast<std::chrono::milliseconds>(noticed - closed_at).count(), 200);
    }
  }());
}

BOOST_AUTO_TEST_CASE(fires_while_a_read_is_pending) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    // A read is in flight on the stream before closed() is awaited on the same stream.
    auto reader = corio::spawn([](tcp_stream& s) -> task<std::size_t> {
      std::array<std::byte, 64> buf;
      auto n = co_await s.read(buf);
      BOOST_REQUIRE_MESSAGE(n, "pending read: " << describe(n));
      co_return *n;
    }(server));
    co_await corio::yield_now();
    clock_type::time_point closed_at;
    auto closer = corio::spawn(close_later(std::move(client), 30ms, closed_at, false));
    auto r = co_await corio::timeout(5s, server.closed());
    auto noticed = clock_type::now();
    BOOST_CHECK_MESSAGE(r, "closed(): " << describe(r));
    BOOST_CHECK_LT(std::chrono::duration_cast<std::chrono::milliseconds>(noticed - closed_at).count(), 200);
    BOOST_CHECK(co_await closer);
    auto n = co_await reader;  // the pending read saw end-of-stream
    BOOST_CHECK(n && *n == 0);
  }());
}

BOOST_AUTO_TEST_CASE(does_not_fire_while_the_peer_is_connected) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    BOOST_CHECK(co_await client.write_all(bytes("data is not a hang-up")));
    auto r = co_await corio::timeout(100ms, server.closed());
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error() == corio::errc::timed_out);
    // ...and the stream is still usable afterwards.
    std::array<std::byte, 4> buf;
    BOOST_CHECK(co_await server.read_exact(buf));
  }());
}

BOOST_AUTO_TEST_CASE(a_producer_racing_closed_stops_at_once) {
  // The streaming-producer pattern: a write loop on one half, closed() on the other.
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    auto [rd, wr] = std::move(server).split();
    auto producer = corio::spawn([](tcp_write_half w) -> task<int> {
      int lines = 0;
      for (;;) {
        auto r = co_await w.write_all(bytes("tick\n"));
        if (!r) co_return lines;
        ++lines;
        co_await corio::sleep_for(5ms);
      }
    }(std::move(wr)));
    co_await corio::sleep_for(50ms);
    BOOST_CHECK(co_await client.close());
    auto t0 = clock_type::now();
    BOOST_CHECK(co_await corio::timeout(5s, rd.closed()));
    producer.cancel();  // the vanished client stops the producer at once
    auto lines = co_await producer;
    BOOST_CHECK(!lines || *lines >= 0);
    BOOST_CHECK_LT(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count(), 200);
  }());
}

BOOST_AUTO_TEST_SUITE_END()
