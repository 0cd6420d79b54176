// Timer storm: a million sleeping tasks with random deadlines, half of them cancelled (half of
// those before the loop runs, the rest while timers are firing). None may wake before its
// deadline, none cancelled may wake at all, every other one wakes exactly once, and the
// deadlines of the timers that fire, in firing order, never go backwards.
#include "support.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

using namespace corio_test;
using corio::task;
using clk = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Each sleeping task is a few hundred bytes of coroutine frames; under ASan (redzones,
// quarantine) a million of them need several GiB and minutes: a tenth keeps the same shape.
constexpr std::size_t timer_count = 100'000;
#else
constexpr std::size_t timer_count = 1'000'000;
#endif

struct storm {
  std::vector<clk::time_point> deadline;
  std::vector<std::uint8_t> fired;      // times each one woke
  std::vector<std::uint8_t> cancelled;  // cancel() called before it woke
  std::size_t early = 0;
  std::size_t backwards = 0;
  std::size_t fired_total = 0;
  clk::time_point last_fired_deadline{};
};

task<void> sleeper(storm& s, std::size_t i) {
  co_await corio::sleep_until(s.deadline[i]);
  auto now = clk::now();
  if (now < s.deadline[i]) ++s.early;
  if (s.deadline[i] < s.last_fired_deadline) ++s.backwards;
  s.last_fired_deadline = std::max(s.last_fired_deadline, s.deadline[i]);
  ++s.fired[i];
  ++s.fired_total;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(reliability_timers, runtime_fixture)

BOOST_AUTO_TEST_CASE(million_timers_half_cancelled) {
  rt.block_on([]() -> task<void> {
    // CORIO_TIMER_STORM overrides the count (for a quick local run).
    const char* env = std::getenv("CORIO_TIMER_STORM");
    const std::size_t n = env ? std::strtoul(env, nullptr, 10) : timer_count;
    storm s;
    s.deadline.resize(n);
    s.fired.assign(n, 0);
    s.cancelled.assign(n, 0);
    std::mt19937_64 gen(42);
    const auto start = clk::now();

    std::vector<corio::join_handle<void>> handles;
    handles.reserve(n);
    for (std::size_t i = 0; i < n; ++i) handles.push_back(corio::spawn(sleeper(s, i)));

    // Half are to be cancelled, chosen at random: three quarters of those at once (nothing has
    // run yet, though many deadlines have already passed by now), the rest while firing.
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), gen);
    const std::size_t to_cancel = n / 2;
    std::size_t next = 0;
    for (; next < to_cancel * 3 / 4; ++next) {
      s.cancelled[order[next]] = 1;
      handles[order[next]].cancel();
    }
    // The tasks read their deadline when they first run, after this: deadlines over 3 s from
    // now, at microsecond granularity (many ties, many distinct).
    const auto spawned = clk::now();
    for (auto& d : s.deadline) d = spawned + std::chrono::microseconds(gen() % 3'000'000);
    // The rest of the cancellations go latest deadline first, so most land before firing.
    std::sort(order.begin() + static_cast<std::ptrdiff_t>(next), order.begin() + static_cast<std::ptrdiff_t>(to_cancel),
              [&](std::size_t a, std::size_t b) { return s.deadline[a] > s.deadline[b]; });
    // Then every 2 ms, another slice of 1/16; one that has already fired is not cancelled (its task has
    // finished), and is counted among the fired.
    std::size_t cancelled_total = next, already_fired = 0;
    while (next < to_cancel) {
      co_await corio::sleep_for(std::chrono::milliseconds(2));
      for (std::size_t k = 0; k < to_cancel / 16 + 1 && next < to_cancel; ++k, ++next) {
        std::size_t i = order[next];
        if (s.fired[i]) {
          ++already_fired;
          continue;
        }
        s.cancelled[i] = 1;
        handles[i].cancel();
        ++cancelled_total;
      }
    }
    // Wait for every task, and check each one's outcome.
    std::size_t joined_ok = 0, joined_cancelled = 0, bad_join = 0;
    for (std::size_t i = 0; i < n; ++i) {
      auto r = co_await handles[i];
      if (r) {
        ++joined_ok;
        if (s.cancelled[i]) ++bad_join;
      } else {
        ++joined_cancelled;
        if (!s.cancelled[i] || r.error() != std::errc::operation_canceled) ++bad_join;
      }
    }
    const double secs = std::chrono::duration<double>(clk::now() - start).count();
    std::size_t cancelled_fired = 0, missed = 0, twice = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (s.fired[i] > 1) ++twice;
      if (s.cancelled[i] && s.fired[i]) ++cancelled_fired;
      if (!s.cancelled[i] && s.fired[i] != 1) ++missed;
    }
    BOOST_TEST_MESSAGE("timer storm: " << n << " timers, " << cancelled_total << " cancelled ("
                       << already_fired << " fired before their turn to be cancelled), " << s.fired_total
                       << " fired; spawning took " << std::chrono::duration<double>(spawned - start).count()
                       << " s, all done in " << secs << " s");
    BOOST_CHECK_EQUAL(s.early, 0u);
    BOOST_CHECK_EQUAL(s.backwards, 0u);
    BOOST_CHECK_EQUAL(cancelled_fired, 0u);
    BOOST_CHECK_EQUAL(missed, 0u);
    BOOST_CHECK_EQUAL(twice, 0u);
    BOOST_CHECK_EQUAL(bad_join, 0u);
    BOOST_CHECK_EQUAL(s.fired_total + cancelled_total, n);
    BOOST_CHECK_EQUAL(joined_cancelled, cancelled_total);
    BOOST_CHECK_EQUAL(joined_ok, n - cancelled_total);
    BOOST_CHECK_GE(cancelled_total, n * 2 / 5);  // at least 40% really cancelled before firing
    BOOST_CHECK_EQUAL(corio::this_runtime_stats().timers_armed, 0u);
  }());
}

// The race the storm found: a task's timer has fired (it is queued to resume) and another task
// cancels it before it runs. The cancel must win cleanly — the task is unwound, never resumed —
// and must not queue it a second time: that cut the ready queue behind it (the task queued
// next was lost: a hang) and entered a destroyed frame.
BOOST_AUTO_TEST_CASE(cancel_after_the_timer_fired_before_the_task_resumed) {
  rt.block_on([]() -> task<void> {
    bool woke = false, next_ran = false;
    auto sleeper = corio::spawn([](bool& woke) -> task<void> {
      co_await corio::sleep_for(1ms);
      woke = true;
    }(woke));
    auto next = corio::spawn([](bool& ran) -> task<void> {
      co_await corio::sleep_for(2ms);
      ran = true;
    }(next_ran));
    co_await corio::yield_now();       // both arm their timers
    std::this_thread::sleep_for(5ms);  // both deadlines pass while we hold the loop
    co_await corio::yield_now();       // both timers fire: queued behind us, sleeper first
    sleeper.cancel();                  // the sleeper is cancelled before it runs
    auto r = co_await sleeper;
    BOOST_CHECK(!woke);
    BOOST_CHECK(!r && r.error() == std::errc::operation_canceled);
    auto n = co_await corio::timeout(2s, std::move(next));
    BOOST_CHECK_MESSAGE(n && next_ran, "the task queued after the cancelled one was lost");
  }());
}

// The same race on a join: the joined task has finished (its joiner is queued) and the joiner is
// cancelled before it runs.
BOOST_AUTO_TEST_CASE(cancel_a_joiner_whose_task_just_finished) {
  rt.block_on([]() -> task<void> {
    bool resumed = false, next_ran = false;
    auto worker = corio::spawn([]() -> task<int> {
      co_await corio::sleep_for(1ms);
      co_return 7;
    }());
    auto joiner = corio::spawn([](corio::join_handle<int> w, bool& resumed) -> task<void> {
      auto v = co_await w;
      resumed = v.has_value();
    }(std::move(worker), resumed));
    auto next = corio::spawn([](bool& ran) -> task<void> {
      co_await corio::sleep_for(2ms);
      co_await corio::yield_now();  // queued behind the joiner
      ran = true;
    }(next_ran));
    co_await corio::yield_now();       // all start: the worker and next sleep, the joiner waits
    std::this_thread::sleep_for(5ms);  // the deadlines pass
    co_await corio::yield_now();       // the timers fire: worker and next are queued behind us
    co_await corio::yield_now();       // the worker finishes (the joiner is queued), next yields
    joiner.cancel();
    auto r = co_await joiner;
    BOOST_CHECK(!resumed);
    BOOST_CHECK(!r && r.error() == std::errc::operation_canceled);
    auto n = co_await corio::timeout(2s, std::move(next));
    BOOST_CHECK_MESSAGE(n && next_ran, "the task queued after the cancelled joiner was lost");
  }());
}

BOOST_AUTO_TEST_SUITE_END()
