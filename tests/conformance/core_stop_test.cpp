// Stop requests: stop_source/stop_token waits, composed with when_any and timeout, and
// task_group::shutdown ending idle members at once while a busy one finishes its work.
#include "net_support.hpp"

#include <vector>

using namespace corio_test;
using namespace corio_net_test;

BOOST_FIXTURE_TEST_SUITE(core_stop, runtime_fixture)

// Every waiter wakes, in the order it started waiting; a wait after the request is immediate.
BOOST_AUTO_TEST_CASE(request_wakes_every_waiter_in_order) {
  rt.block_on([]() -> task<void> {
    corio::stop_source src;
    std::vector<int> woke;
    std::vector<corio::join_handle<void>> waiters;
    for (int i = 0; i < 4; ++i) {
      waiters.push_back(corio::spawn([](corio::stop_token t, std::vector<int>& out, int i) -> task<void> {
        co_await t.wait();
        out.push_back(i);
      }(src.token(), woke, i)));
    }
    co_await corio::yield_now();
    BOOST_CHECK(woke.empty());
    BOOST_CHECK(!src.stop_requested());
    src.request_stop();
    src.request_stop();  // idempotent
    for (auto& w : waiters) BOOST_CHECK(co_await w);
    BOOST_CHECK((woke == std::vector<int>{0, 1, 2, 3}));
    auto t = src.token();
    BOOST_CHECK(t.stop_requested());
    co_await t.wait();  // already stopped: no suspension needed
  }());
}

// Raced with when_any: the stop wins over a long sleep, promptly.
BOOST_AUTO_TEST_CASE(stop_wins_a_when_any) {
  rt.block_on([]() -> task<void> {
    corio::stop_source src;
    auto stopper = corio::spawn([](corio::stop_source s) -> task<void> {
      co_await corio::sleep_for(20ms);
      s.request_stop();
    }(src));
    const auto t0 = std::chrono::steady_clock::now();
    auto token = src.token();
    auto r = co_await corio::when_any(corio::sleep_for(30s), token.wait());
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(r->index, 1u);
    BOOST_CHECK(std::chrono::steady_clock::now() - t0 < 10s);
    BOOST_CHECK(co_await stopper);
  }());
}

// A wait cut by a timeout unlinks itself: a later request touches only live waiters (ASan
// would catch a write into the ended frame), and they all wake.
BOOST_AUTO_TEST_CASE(cancelled_wait_leaves_nothing_behind) {
  rt.block_on([]() -> task<void> {
    corio::stop_source src;
    auto token = src.token();
    int woke = 0;
    auto late = corio::spawn([](corio::stop_token t, int& n) -> task<void> {
      co_await t.wait();
      ++n;
    }(token, woke));
    for (int i = 0; i < 3; ++i) {
      auto r = co_await corio::timeout(5ms, token.wait());
      BOOST_REQUIRE(!r);
      BOOST_CHECK(r.error() == corio::make_error_code(corio::errc::timed_out));
    }
    src.request_stop();
    BOOST_CHECK(co_await late);
    BOOST_CHECK_EQUAL(woke, 1);
  }());
}

// A default token never stops: only a cancel ends its wait.
BOOST_AUTO_TEST_CASE(default_token_never_stops) {
  rt.block_on([]() -> task<void> {
    corio::stop_token never;
    BOOST_CHECK(!never.stop_requested());
    auto r = co_await corio::timeout(10ms, never.wait());
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error() == corio::make_error_code(corio::errc::timed_out));
  }());
}

// task_group::shutdown: idle connections (a read that no data will end) leave at once through
// the group's stop token; a member in the middle of its work finishes it. Nothing waits for
// the deadline, nothing is cancelled.
BOOST_AUTO_TEST_CASE(group_shutdown_ends_idle_members_at_once) {
  rt.block_on([]() -> task<void> {
    corio::task_group g;
    std::vector<tcp_stream> peers;  // the other ends, kept open and silent
    int stopped_idle = 0;
    bool busy_done = false;
    for (int i = 0; i < 3; ++i) {
      auto [client, server] = co_await tcp_pair();
      peers.push_back(std::move(client));
      g.spawn([](tcp_stream s, corio::stop_token stop, int& stopped) -> task<void> {
        std::array<std::byte, 64> buf;
        auto r = co_await corio::when_any(s.read(buf), stop.wait());
        if (r && r->index == 1) ++stopped;
      }(std::move(server), g.get_stop_token(), stopped_idle));
    }
    g.spawn([](bool& done) -> task<void> {
      co_await corio::sleep_for(200ms);  // a request in flight: not interrupted by the stop
      done = true;
    }(busy_done));
    co_await corio::yield_now();
    const auto t0 = std::chrono::steady_clock::now();
    const bool clean = co_await g.shutdown(std::chrono::seconds(20));
    const auto took = std::chrono::steady_clock::now() - t0;
    BOOST_CHECK(clean);
    BOOST_CHECK(g.stop_requested());
    BOOST_CHECK_EQUAL(stopped_idle, 3);
    BOOST_CHECK(busy_done);
    BOOST_CHECK_EQUAL(g.size(), 0u);
    BOOST_CHECK_MESSAGE(took < 10s, "shutdown took " << std::chrono::duration<double>(took).count() << " s");
  }());
}

BOOST_AUTO_TEST_SUITE_END()
