// when_any, when_all and task_group.
#include "support.hpp"

using namespace corio_test;
using corio::task;
using clk = std::chrono::steady_clock;

namespace {
task<int> after(std::chrono::milliseconds d, int v) {
  co_await corio::sleep_for(d);
  co_return v;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(core_when, runtime_fixture)

BOOST_AUTO_TEST_CASE(when_any_returns_the_first_and_cancels_the_rest) {
  auto body = []() -> task<void> {
    auto t0 = clk::now();
    auto r = co_await corio::when_any(after(10ms, 1), after(30s, 2), corio::sleep_for(30s));
    BOOST_REQUIRE(r.has_value());
    BOOST_CHECK_EQUAL(r->index, 0u);
    BOOST_CHECK_EQUAL(r->get<0>(), 1);
    BOOST_CHECK(!std::get<1>(r->values).has_value());
    BOOST_CHECK(clk::now() - t0 < 10s);
  };
  rt.block_on(body());
  BOOST_CHECK_EQUAL(rt.stats().timers_armed, 0u);
}

BOOST_AUTO_TEST_CASE(when_all_waits_for_every_branch) {
  auto body = []() -> task<void> {
    auto t0 = clk::now();
    auto r = co_await corio::when_all(after(30ms, 1), after(10ms, 2), corio::sleep_for(20ms));
    BOOST_REQUIRE(r.has_value());
    BOOST_CHECK_EQUAL(std::get<0>(*r), 1);
    BOOST_CHECK_EQUAL(std::get<1>(*r), 2);
    BOOST_CHECK(clk::now() - t0 >= 30ms);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(when_any_with_a_branch_that_finishes_at_once) {
  auto body = []() -> task<void> {
    auto now = []() -> task<int> { co_return 5; };
    auto r = co_await corio::when_any(after(30s, 1), now());
    BOOST_REQUIRE(r.has_value());
    BOOST_CHECK_EQUAL(r->index, 1u);
    BOOST_CHECK_EQUAL(r->get<1>(), 5);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(cancelling_a_task_in_when_any) {
  auto body = []() -> task<void> {
    auto h = corio::spawn([]() -> task<int> {
      auto r = co_await corio::when_any(after(30s, 1), after(30s, 2));
      co_return r ? 1 : 2;
    }());
    co_await corio::sleep_for(5ms);
    h.cancel();
    auto r = co_await h;
    BOOST_CHECK(!r);
  };
  rt.block_on(body());
  BOOST_CHECK_EQUAL(rt.stats().timers_armed, 0u);
}

BOOST_AUTO_TEST_CASE(task_group_joins_all_members) {
  auto body = []() -> task<int> {
    int done = 0;
    corio::task_group g;
    for (int i = 0; i < 100; ++i) {
      g.spawn([](int& done, int i) -> task<void> {
        co_await corio::sleep_for(std::chrono::milliseconds(i % 10));
        ++done;
      }(done, i));
    }
    BOOST_CHECK_EQUAL(g.size(), 100u);
    co_await g.join();
    BOOST_CHECK_EQUAL(g.size(), 0u);
    co_return done;
  };
  BOOST_CHECK_EQUAL(rt.block_on(body()), 100);
}

BOOST_AUTO_TEST_CASE(task_group_shutdown_cuts_at_the_deadline) {
  auto body = []() -> task<void> {
    corio::task_group g;
    int finished = 0;
    for (int i = 0; i < 1000; ++i) {
      g.spawn([](int& finished, int i) -> task<void> {
        co_await corio::sleep_for(i % 2 ? 30s : 1ms);
        ++finished;
      }(finished, i));
    }
    auto t0 = clk::now();
    bool in_time = co_await g.shutdown(clk::now() + 100ms);
    auto took = clk::now() - t0;
    BOOST_CHECK(!in_time);
    BOOST_CHECK_EQUAL(finished, 500);
    BOOST_CHECK_EQUAL(g.size(), 0u);
    BOOST_CHECK(took >= 100ms);
    BOOST_CHECK(took < 5s);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(task_group_rethrows_a_member_exception) {
  auto body = []() -> task<bool> {
    corio::task_group g;
    g.spawn([]() -> task<void> {
      co_await corio::yield_now();
      throw std::runtime_error("member failed");
    }());
    try {
      co_await g.join();
    } catch (const std::runtime_error&) {
      co_return true;
    }
    co_return false;
  };
  BOOST_CHECK(rt.block_on(body()));
}

BOOST_AUTO_TEST_SUITE_END()
