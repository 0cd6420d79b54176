// Timers, cancellation and timeouts.
#include "support.hpp"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

using namespace corio_test;
using corio::task;
using clk = std::chrono::steady_clock;

BOOST_FIXTURE_TEST_SUITE(core_time, runtime_fixture)

BOOST_AUTO_TEST_CASE(sleep_waits_at_least_its_duration) {
  auto body = []() -> task<clk::duration> {
    auto t0 = clk::now();
    co_await corio::sleep_for(50ms);
    co_return clk::now() - t0;
  };
  auto took = rt.block_on(body());
  BOOST_CHECK(took >= 50ms);
  BOOST_CHECK(took < 5s);
}

BOOST_AUTO_TEST_CASE(timers_fire_in_deadline_order) {
  auto body = []() -> task<std::vector<int>> {
    std::vector<int> fired;
    std::vector<corio::join_handle<void>> hs;
    std::mt19937 rng(7);
    for (int i = 0; i < 200; ++i) {
      int ms = static_cast<int>(rng() % 50);
      hs.push_back(corio::spawn([](std::vector<int>& out, int ms) -> task<void> {
        co_await corio::sleep_for(std::chrono::milliseconds(ms));
        out.push_back(ms);
      }(fired, ms)));
    }
    for (auto& h : hs) co_await h;
    co_return fired;
  };
  auto fired = rt.block_on(body());
  BOOST_REQUIRE_EQUAL(fired.size(), 200u);
  BOOST_CHECK(std::is_sorted(fired.begin(), fired.end()));
}

BOOST_AUTO_TEST_CASE(cancel_a_sleeping_task) {
  auto body = []() -> task<bool> {
    bool reached_end = false;
    auto t0 = clk::now();
    auto h = corio::spawn([](bool& reached) -> task<int> {
      co_await corio::sleep_for(30s);
      reached = true;
      co_return 1;
    }(reached_end));
    co_await corio::sleep_for(10ms);
    h.cancel();
    auto r = co_await h;
    BOOST_CHECK(!r);
    BOOST_CHECK(r.error() == std::errc::operation_canceled);
    BOOST_CHECK(clk::now() - t0 < 10s);
    co_return reached_end;
  };
  BOOST_CHECK_EQUAL(rt.block_on(body()), false);
  BOOST_CHECK_EQUAL(rt.stats().timers_armed, 0u);
}

BOOST_AUTO_TEST_CASE(cancel_before_start) {
  auto body = []() -> task<void> {
    bool ran = false;
    auto h = corio::spawn([](bool& ran) -> task<void> {
      ran = true;
      co_return;
    }(ran));
    h.cancel();
    auto r = co_await h;
    BOOST_CHECK(!r);
    BOOST_CHECK(!ran);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(timeout_fires_on_a_long_sleep) {
  auto body = []() -> task<void> {
    auto t0 = clk::now();
    auto r = co_await corio::timeout(50ms, corio::sleep_for(30s));
    auto took = clk::now() - t0;
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error() == corio::errc::timed_out);
    BOOST_CHECK(took >= 50ms);
    BOOST_CHECK(took < 10s);
  };
  rt.block_on(body());
  BOOST_CHECK_EQUAL(rt.stats().timers_armed, 0u);
}

BOOST_AUTO_TEST_CASE(timeout_does_not_fire_on_a_short_sleep) {
  auto body = []() -> task<void> {
    auto r = co_await corio::timeout(10s, corio::sleep_for(10ms));
    BOOST_CHECK(r.has_value());
    auto inner = []() -> task<int> {
      co_await corio::sleep_for(1ms);
      co_return 7;
    };
    auto v = co_await corio::timeout(10s, inner());
    BOOST_REQUIRE(v.has_value());
    BOOST_CHECK_EQUAL(*v, 7);
  };
  rt.block_on(body());
  BOOST_CHECK_EQUAL(rt.stats().timers_armed, 0u);
}

BOOST_AUTO_TEST_CASE(timeout_cancels_a_whole_task_chain) {
  auto body = []() -> task<void> {
    int steps = 0;
    auto slow = [](int& steps) -> task<void> {
      for (int i = 0; i < 1000; ++i) {
        co_await corio::sleep_for(5ms);
        ++steps;
      }
    };
    auto r = co_await corio::timeout(30ms, slow(steps));
    BOOST_CHECK(!r);
    BOOST_CHECK(steps < 1000);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(cancelling_a_task_inside_timeout) {
  auto body = []() -> task<void> {
    auto h = corio::spawn([]() -> task<int> {
      auto r = co_await corio::timeout(30s, corio::sleep_for(30s));
      co_return r ? 1 : 2;
    }());
    co_await corio::sleep_for(5ms);
    h.cancel();
    auto r = co_await h;
    BOOST_CHECK(!r);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(wake_from_another_thread) {
  // A task parked on a long timer; another thread posts a function that cancels it.
  std::atomic<bool> posted_ran{false};
  auto waiter = [](corio::runtime& rt, std::atomic<bool>& ran) -> task<clk::duration> {
    auto t0 = clk::now();
    auto h = corio::spawn([]() -> task<void> { co_await corio::sleep_for(30s); }());
    std::thread other([&rt, &ran, &h] {
      std::this_thread::sleep_for(20ms);
      rt.post([&ran, &h] {
        ran = true;
        h.cancel();
      });
    });
    (void)co_await h;
    other.join();
    co_return clk::now() - t0;
  };
  auto took = rt.block_on(waiter(rt, posted_ran));
  BOOST_CHECK(posted_ran.load());
  BOOST_CHECK(took < 10s);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(runtime_created_and_destroyed_ten_thousand_times) {
  clean_shutdown_check check;
  for (int i = 0; i < 10'000; ++i) {
    corio::runtime rt;
    if (i % 100 == 0) {
      rt.block_on([]() -> task<void> { co_await corio::sleep_for(std::chrono::microseconds(1)); }());
    }
  }
  check.expect_no_fd_leak();
}
