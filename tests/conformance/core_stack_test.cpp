// The stack stays bounded whatever the compiler does with symmetric transfer: loops of
// co_awaits that finish without suspending, and deep chains of nested tasks, run on a thread
// with a 1 MiB stack. Before detail::transfer() bounded the chain, each of these overflowed
// under GCC 12 with ASan (-O1), where the transfer is a real call (issue 22: the core suite's
// cancelled_recv_loses_nothing died with a stack overflow on epoll and libuv).
#include "support.hpp"

#include <pthread.h>

#include <array>
#include <cstring>
#include <functional>

using namespace corio_test;
using corio::task;

namespace {

/// Runs fn on a new thread whose stack is `bytes` long; returns when it has finished.
void run_on_small_stack(std::size_t bytes, std::function<void()> fn) {
  pthread_attr_t attr;
  BOOST_REQUIRE_EQUAL(pthread_attr_init(&attr), 0);
  BOOST_REQUIRE_EQUAL(pthread_attr_setstacksize(&attr, bytes), 0);
  pthread_t thread;
  auto entry = [](void* arg) -> void* {
    (*static_cast<std::function<void()>*>(arg))();
    return nullptr;
  };
  const int rc = pthread_create(&thread, &attr, entry, &fn);
  pthread_attr_destroy(&attr);
  BOOST_REQUIRE_EQUAL(rc, 0);
  BOOST_REQUIRE_EQUAL(pthread_join(thread, nullptr), 0);
}

constexpr std::size_t small_stack = 1 << 20;

task<int> ready_value(int v) { co_return v; }
task<long> nested(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await nested(n - 1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_stack)

// The pattern of the failing test: timeout() around a receive that a full channel answers at
// once. Every value arrives, in order, and the loop never nests.
BOOST_AUTO_TEST_CASE(timeout_around_ready_receives_in_a_loop) {
  constexpr int total = 100'000;
  corio::channel<int> ch;
  for (int i = 0; i < total; ++i) ch.send(i);
  int next = 0, errors = 0;
  std::size_t fds_before = open_fd_count(), fds_after = 0;
  run_on_small_stack(small_stack, [&] {
    {
      corio::runtime rt;
      rt.block_on([&]() -> task<void> {
        while (next < total) {
          auto r = co_await corio::timeout(std::chrono::seconds(10), ch.recv());
          if (!r || *r != next) ++errors;
          if (!r) break;
          next = *r + 1;
        }
      }());
    }
    fds_after = open_fd_count();
  });
  BOOST_CHECK_EQUAL(next, total);
  BOOST_CHECK_EQUAL(errors, 0);
  BOOST_CHECK(!ch.try_recv());
  BOOST_CHECK_EQUAL(fds_after, fds_before);
}

// A task that returns at once, awaited 200,000 times in a row.
BOOST_AUTO_TEST_CASE(ready_tasks_in_a_loop) {
  long sum = 0;
  run_on_small_stack(small_stack, [&] {
    corio::runtime rt;
    sum = rt.block_on([]() -> task<long> {
      long s = 0;
      for (int i = 0; i < 200'000; ++i) s += co_await ready_value(i % 7);
      co_return s;
    }());
  });
  long expected = 0;
  for (int i = 0; i < 200'000; ++i) expected += i % 7;
  BOOST_CHECK_EQUAL(sum, expected);
}

// when_all whose branches all finish before it suspends, in a loop.
BOOST_AUTO_TEST_CASE(when_all_of_ready_branches_in_a_loop) {
  long sum = 0;
  int failures = 0;
  run_on_small_stack(small_stack, [&] {
    corio::runtime rt;
    rt.block_on([&]() -> task<void> {
      for (int i = 0; i < 50'000; ++i) {
        auto r = co_await corio::when_all(ready_value(1), ready_value(2));
        if (!r) {
          ++failures;
          continue;
        }
        sum += std::get<0>(*r) + std::get<1>(*r);
      }
    }());
  });
  BOOST_CHECK_EQUAL(failures, 0);
  BOOST_CHECK_EQUAL(sum, 150'000);
}

// 200,000 tasks each awaiting the next: the chain goes down without returning.
BOOST_AUTO_TEST_CASE(deep_nesting_on_a_small_stack) {
  long depth = 0;
  run_on_small_stack(small_stack, [&] {
    corio::runtime rt;
    depth = rt.block_on(nested(200'000));
  });
  BOOST_CHECK_EQUAL(depth, 200'000);
}

// Real I/O: 1-byte reads of a socket that already holds the data, each under a timeout, on
// every driver (epoll and libuv may complete a read on the spot; io_uring goes to the ring).
BOOST_AUTO_TEST_CASE(ready_socket_reads_in_a_loop) {
  constexpr std::size_t total = 20'000;
  std::size_t got = 0, mismatches = 0, fds_before = open_fd_count(), fds_after = 0;
  bool paired = false;
  run_on_small_stack(small_stack, [&] {
    {
      corio::runtime rt;
      rt.block_on([&]() -> task<void> {
        auto p = corio::net::unix_stream::pair();
        if (!p) co_return;
        paired = true;
        auto& [a, b] = *p;
        std::array<std::byte, total> out;
        for (std::size_t i = 0; i < total; ++i) out[i] = static_cast<std::byte>(i * 31);
        if (!co_await a.write_all(out)) co_return;
        while (got < total) {
          std::array<std::byte, 1> one;
          auto n = co_await corio::timeout(std::chrono::seconds(10), b.read(one));
          if (!n || *n != 1) break;
          if (one[0] != out[got]) ++mismatches;
          ++got;
        }
      }());
    }
    fds_after = open_fd_count();
  });
  BOOST_REQUIRE(paired);
  BOOST_CHECK_EQUAL(got, total);
  BOOST_CHECK_EQUAL(mismatches, 0u);
  BOOST_CHECK_EQUAL(fds_after, fds_before);
}

BOOST_AUTO_TEST_SUITE_END()
