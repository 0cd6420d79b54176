// Everything that crosses threads, in one small executable that ci/reliability also builds and
// runs under ThreadSanitizer on every driver: posts and wake-ups from many threads into one
// runtime, a ping-pong of posts between two runtimes on two threads, runtimes on several threads
// each driving files (epoll's blocking pool, libuv's pool, io_uring's kernel workers) at once,
// and runtimes created and destroyed on threads while others post to a live one.
#include "support.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace corio_test;
using corio::task;

namespace {

/// Runs the loop of `rt` until `done` (posts run in the loop's turns whatever the task does).
task<void> until(const std::atomic<bool>& done) {
  while (!done.load(std::memory_order_acquire)) co_await corio::sleep_for(1ms);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(threads_cross)

// 4 threads post 5,000 closures each into one runtime while it runs; every one runs once, on
// the loop thread, and the wake-ups never get lost (the loop would sleep on a post).
BOOST_AUTO_TEST_CASE(posts_from_many_threads) {
  clean_shutdown_check check;
  corio::runtime rt;
  const int threads = 4, each = 5000;
  std::atomic<bool> done{false};
  long count = 0;  // touched only on the loop thread
  std::thread::id loop_thread;
  bool wrong_thread = false;
  std::vector<std::thread> posters;
  for (int t = 0; t < threads; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < each; ++i) {
        rt.post([&] {
          if (std::this_thread::get_id() != loop_thread) wrong_thread = true;
          if (++count == threads * each) done.store(true, std::memory_order_release);
        });
        if (i % 64 == 0) rt.wake();
      }
    });
  }
  loop_thread = std::this_thread::get_id();
  rt.block_on([](const std::atomic<bool>& done) -> task<void> {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!done.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < deadline) {
      co_await corio::sleep_for(100ms);  // long sleeps: the posts must wake the loop themselves
    }
  }(done));
  for (auto& p : posters) p.join();
  BOOST_CHECK_EQUAL(count, threads * each);
  BOOST_CHECK(!wrong_thread);
  BOOST_CHECK(rt.shutdown(5s));
  check.expect_clean(rt);
}

// Two runtimes on two threads bounce a counter with post() 10,000 times each way.
BOOST_AUTO_TEST_CASE(post_ping_pong_between_two_runtimes) {
  clean_shutdown_check check;
  const long rounds = 10'000;
  std::atomic<bool> done{false};
  std::unique_ptr<corio::runtime> a, b;
  std::mutex m;
  std::condition_variable cv;
  long hits_a = 0, hits_b = 0;  // each touched only on its own runtime's thread

  std::function<void()> to_a, to_b;
  to_b = [&] {
    ++hits_b;
    a->post(to_a);
  };
  to_a = [&] {
    if (++hits_a == rounds) {
      done.store(true, std::memory_order_release);
      return;
    }
    b->post(to_b);
  };
  std::thread tb([&] {
    {
      std::lock_guard lock(m);
      b = std::make_unique<corio::runtime>();  // constructed on the thread that runs it
    }
    cv.notify_all();
    b->block_on(until(done));
    b.reset();
  });
  a = std::make_unique<corio::runtime>();
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return b != nullptr; });
  }
  b->post(to_b);
  a->block_on(until(done));
  tb.join();
  BOOST_CHECK_EQUAL(hits_a, rounds);
  BOOST_CHECK_EQUAL(hits_b, rounds);
  a.reset();
  check.expect_no_fd_leak();
}

// Three runtimes on three threads each write, read back and remove 200 files at once (on epoll
// the blocking pool threads of each runtime do the work; libuv's pool is shared by all).
BOOST_AUTO_TEST_CASE(file_pools_on_several_runtimes_at_once) {
  clean_shutdown_check check;
  temp_dir dir;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      corio::runtime rt({.blocking_threads = 3});
      rt.block_on([](const temp_dir& dir, int t, std::atomic<int>& failures) -> task<void> {
        std::vector<corio::join_handle<void>> jobs;
        for (int i = 0; i < 200; ++i) {
          jobs.push_back(corio::spawn([](std::string path, std::atomic<int>& failures) -> task<void> {
            std::string data(1000 + path.size(), 'd');
            auto f = co_await corio::fs::file::open(path, corio::fs::open_options().read().write().create());
            if (!f) co_return (void)++failures;
            if (!co_await f->write_all_at(std::as_bytes(std::span(data.data(), data.size())), 0)) ++failures;
            std::string back(data.size(), '\0');
            auto n = co_await f->read_at(std::as_writable_bytes(std::span(back.data(), back.size())), 0);
            if (!n || back != data) ++failures;
            if (!co_await f->close()) ++failures;
            if (!co_await corio::fs::remove(path)) ++failures;
          }(dir.file("f" + std::to_string(t) + "-" + std::to_string(i)), failures)));
        }
        for (auto& j : jobs) co_await j;
      }(dir, t, failures));
      if (!rt.shutdown(5s)) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  BOOST_CHECK_EQUAL(failures.load(), 0);
  check.expect_no_fd_leak();
}

// Runtimes are created and destroyed on two threads, 200 times each, while a third thread keeps
// posting to a long-lived runtime: construction, destruction and wake-ups do not interfere.
BOOST_AUTO_TEST_CASE(runtimes_come_and_go_while_another_is_posted_to) {
  clean_shutdown_check check;
  corio::runtime main_rt;
  std::atomic<bool> stop{false};
  std::atomic<long> posted{0};
  long ran = 0;
  std::thread poster([&] {
    while (!stop.load(std::memory_order_acquire)) {
      main_rt.post([&] { ++ran; });
      posted.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> churn;
  std::atomic<int> failures{0};
  for (int t = 0; t < 2; ++t) {
    churn.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        corio::runtime rt;
        auto v = rt.block_on([]() -> task<int> {
          co_await corio::sleep_for(std::chrono::microseconds(100));
          co_return 1;
        }());
        if (v != 1) ++failures;
      }
    });
  }
  std::atomic<bool> churn_done{false};
  std::thread joiner([&] {
    for (auto& c : churn) c.join();
    churn_done.store(true, std::memory_order_release);
  });
  main_rt.block_on(until(churn_done));
  joiner.join();
  stop.store(true, std::memory_order_release);
  poster.join();
  main_rt.block_on([]() -> task<void> { co_await corio::sleep_for(10ms); }());  // the last posts
  BOOST_CHECK_EQUAL(failures.load(), 0);
  BOOST_CHECK_EQUAL(ran, posted.load());
  BOOST_CHECK(main_rt.shutdown(5s));
  check.expect_clean(main_rt);
}

BOOST_AUTO_TEST_SUITE_END()
