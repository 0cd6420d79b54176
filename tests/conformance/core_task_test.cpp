// Tasks: ordering, results, exceptions, deep chains, spawn and join.
#include "support.hpp"

#include <stdexcept>
#include <vector>

using namespace corio_test;
using corio::task;

namespace {

task<int> answer() { co_return 42; }
task<int> add(int a, int b) { co_return co_await answer() - 42 + a + b; }
task<void> thrower() {
  throw std::runtime_error("boom");
  co_return;
}
task<int> deep(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await deep(n - 1);
}
task<std::string> move_only_value() { co_return std::string(1000, 'x'); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(core_task, runtime_fixture)

BOOST_AUTO_TEST_CASE(block_on_returns_value) {
  BOOST_CHECK_EQUAL(rt.block_on(add(1, 2)), 3);
  BOOST_CHECK_EQUAL(rt.block_on(move_only_value()).size(), 1000u);
}

BOOST_AUTO_TEST_CASE(backend_is_named) {
  auto name = rt.backend();
  BOOST_CHECK(name == "io_uring" || name == "epoll" || name == "libuv");
}

BOOST_AUTO_TEST_CASE(exception_propagates_through_co_await) {
  auto outer = []() -> task<std::string> {
    try {
      co_await thrower();
    } catch (const std::runtime_error& e) {
      co_return std::string(e.what());
    }
    co_return std::string("no exception");
  };
  BOOST_CHECK_EQUAL(rt.block_on(outer()), "boom");
  BOOST_CHECK_THROW(rt.block_on(thrower()), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(deep_chain_does_not_grow_the_stack) {
  // One million nested co_awaits would overflow an 8 MiB stack if each transfer were a real
  // call, as GCC makes it under ASan: detail::transfer() bounces the chain back to the loop.
  const int depth = 1'000'000;
  BOOST_CHECK_EQUAL(rt.block_on(deep(depth)), depth);
}

BOOST_AUTO_TEST_CASE(spawned_tasks_run_in_order_of_spawning) {
  auto body = []() -> task<std::vector<int>> {
    std::vector<int> order;
    std::vector<corio::join_handle<void>> handles;
    for (int i = 0; i < 5; ++i) {
      handles.push_back(corio::spawn([](std::vector<int>& out, int i) -> task<void> {
        out.push_back(i);
        co_await corio::yield_now();
        out.push_back(10 + i);
      }(order, i)));
    }
    for (auto& h : handles) BOOST_CHECK(co_await h);
    co_return order;
  };
  std::vector<int> expected{0, 1, 2, 3, 4, 10, 11, 12, 13, 14};
  auto order = rt.block_on(body());
  BOOST_CHECK_EQUAL_COLLECTIONS(order.begin(), order.end(), expected.begin(), expected.end());
}

BOOST_AUTO_TEST_CASE(hundred_thousand_spawned_tasks_joined) {
  auto body = []() -> task<long> {
    std::vector<corio::join_handle<int>> handles;
    handles.reserve(100'000);
    for (int i = 0; i < 100'000; ++i) {
      handles.push_back(corio::spawn([](int i) -> task<int> {
        co_await corio::yield_now();
        co_return i;
      }(i)));
    }
    long sum = 0;
    for (auto& h : handles) sum += (co_await h).value();
    co_return sum;
  };
  BOOST_CHECK_EQUAL(rt.block_on(body()), 100'000L * 99'999 / 2);
  BOOST_CHECK_EQUAL(rt.stats().tasks_spawned, 100'000u);
}

BOOST_AUTO_TEST_CASE(join_rethrows_the_task_exception) {
  auto body = []() -> task<bool> {
    auto h = corio::spawn(thrower());
    try {
      (void)co_await h;
    } catch (const std::runtime_error&) {
      co_return true;
    }
    co_return false;
  };
  BOOST_CHECK(rt.block_on(body()));
}

BOOST_AUTO_TEST_CASE(detached_task_keeps_running) {
  int done = 0;
  auto body = [](int& done) -> task<void> {
    corio::spawn([](int& done) -> task<void> {
      co_await corio::sleep_for(5ms);
      done = 1;
    }(done)).detach();
    co_await corio::sleep_for(200ms);
  };
  rt.block_on(body(done));
  BOOST_CHECK_EQUAL(done, 1);
}

BOOST_AUTO_TEST_CASE(nested_block_on_is_a_clear_error) {
  auto body = [](corio::runtime& rt) -> task<int> {
    try {
      rt.block_on(answer());
    } catch (const std::system_error& e) {
      co_return e.code() == corio::errc::nested_block_on ? 1 : 2;
    }
    co_return 0;
  };
  BOOST_CHECK_EQUAL(rt.block_on(body(rt)), 1);
  // A second runtime on the same thread, from inside the first, is refused too.
  auto other = []() -> task<int> {
    corio::runtime inner;
    try {
      inner.block_on(answer());
    } catch (const std::system_error& e) {
      co_return e.code() == corio::errc::nested_block_on ? 1 : 2;
    }
    co_return 0;
  };
  BOOST_CHECK_EQUAL(rt.block_on(other()), 1);
}

BOOST_AUTO_TEST_CASE(spawn_without_runtime_is_a_clear_error) {
  try {
    auto h = corio::spawn(answer());
    BOOST_FAIL("spawn outside a runtime should throw");
  } catch (const std::system_error& e) {
    BOOST_CHECK(e.code() == corio::errc::no_runtime);
  }
}

BOOST_AUTO_TEST_SUITE_END()
