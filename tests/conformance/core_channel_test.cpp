// corio::channel between runtimes and plain threads: nothing lost, per-sender order kept,
// closing and cancellation semantics. Run under TSan by ci/reliability.
#include "support.hpp"

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

using namespace corio_test;
using corio::task;

namespace {

struct message {
  std::uint32_t sender;
  std::uint32_t seq;
};

/// What a receiver saw: every message counted and checked against the sender's next sequence.
struct tally {
  explicit tally(std::size_t senders) : next(senders, 0) {}
  std::vector<std::uint32_t> next;  ///< the sequence expected next from each sender
  std::uint64_t received = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t unknown_sender = 0;
  std::string error;

  void take(const message& m) {
    ++received;
    if (m.sender >= next.size()) {
      ++unknown_sender;
      return;
    }
    if (m.seq != next[m.sender]) ++out_of_order;
    next[m.sender] = m.seq + 1;
  }
};

// Boost.Test is not thread-safe: code on the group's threads records, the test thread checks.
std::atomic<int> refused_sends{0};

/// Sends `count` messages as `sender`, yielding to its runtime's loop now and then.
task<void> send_all(corio::channel<message> ch, std::uint32_t sender, std::uint32_t count) {
  for (std::uint32_t i = 0; i < count; ++i) {
    if (!ch.send({sender, i})) ++refused_sends;
    if (i % 4096 == 4095) co_await corio::yield_now();
  }
}

/// Receives exactly `total` messages (or stops at an error, recorded).
task<void> receive(corio::channel<message> ch, std::uint64_t total, tally& t) {
  while (t.received < total) {
    auto m = co_await ch.recv();
    if (!m) {
      t.error = m.error().message();
      co_return;
    }
    t.take(*m);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(channel)

// Two runtimes send 500,000 messages each to the other, at the same time: 1,000,000 in all,
// none lost, each side's sequence intact.
BOOST_AUTO_TEST_CASE(million_messages_between_two_runtimes) {
  clean_shutdown_check check;
  constexpr std::uint32_t per_side = 500'000;
  corio::channel<message> to[2];
  tally seen[2] = {tally(2), tally(2)};
  {
    corio::runtime_group group({.threads = 2});
    BOOST_REQUIRE(group.start([&](std::size_t i) -> task<void> {
      const auto other = static_cast<std::uint32_t>(1 - i);
      auto sender = corio::spawn(send_all(to[other], static_cast<std::uint32_t>(i), per_side));
      co_await receive(to[i], per_side, seen[i]);
      co_await sender;
    }));
    group.wait();
    BOOST_CHECK(group.shutdown());
  }
  for (std::size_t i = 0; i < 2; ++i) {
    BOOST_CHECK_MESSAGE(seen[i].error.empty(), "runtime " << i << ": " << seen[i].error);
    BOOST_CHECK_EQUAL(seen[i].received, per_side);
    BOOST_CHECK_EQUAL(seen[i].next[1 - i], per_side);
    BOOST_CHECK_EQUAL(seen[i].out_of_order, 0u);
    BOOST_CHECK_EQUAL(seen[i].unknown_sender, 0u);
    BOOST_CHECK(!to[i].try_recv());  // nothing extra
  }
  BOOST_CHECK_EQUAL(refused_sends.load(), 0);
  check.expect_no_fd_leak();
}

// Three senders into one receiver (two runtimes and a thread without one): interleaved, but each
// sender's order is kept.
BOOST_AUTO_TEST_CASE(many_senders_keep_their_order) {
  clean_shutdown_check check;
  constexpr std::uint32_t each = 200'000;
  corio::channel<message> ch;
  tally seen(3);
  {
    corio::runtime_group group({.threads = 3});
    BOOST_REQUIRE(group.start([&](std::size_t i) -> task<void> {
      if (i < 2) {
        co_await send_all(ch, static_cast<std::uint32_t>(i), each);
      } else {
        co_await receive(ch, 3 * each, seen);
      }
    }));
    std::thread plain([&] {
      for (std::uint32_t i = 0; i < each; ++i) ch.send({2, i});
    });
    plain.join();
    group.wait();
    BOOST_CHECK(group.shutdown());
  }
  BOOST_CHECK_MESSAGE(seen.error.empty(), seen.error);
  BOOST_CHECK_EQUAL(seen.received, 3u * each);
  for (std::uint32_t s = 0; s < 3; ++s) BOOST_CHECK_EQUAL(seen.next[s], each);
  BOOST_CHECK_EQUAL(seen.out_of_order, 0u);
  check.expect_no_fd_leak();
}

// close(): later sends fail; the receiver gets what was queued, then end_of_stream, and a
// receiver parked when the close comes is woken.
BOOST_AUTO_TEST_CASE(close_drains_then_ends) {
  runtime_fixture f;
  corio::channel<int> ch;
  BOOST_CHECK(ch.send(1));
  BOOST_CHECK(ch.send(2));
  ch.close();
  BOOST_CHECK(ch.is_closed());
  BOOST_CHECK(!ch.send(3));
  f.rt.block_on([&]() -> task<void> {
    auto a = co_await ch.recv();
    auto b = co_await ch.recv();
    auto c = co_await ch.recv();
    BOOST_REQUIRE(a && b);
    BOOST_CHECK_EQUAL(*a, 1);
    BOOST_CHECK_EQUAL(*b, 2);
    BOOST_REQUIRE(!c);
    BOOST_CHECK(c.error() == corio::make_error_code(corio::errc::end_of_stream));
  }());

  corio::channel<int> later;
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    later.close();
  });
  auto r = f.rt.block_on([&]() -> task<corio::result<int>> { co_return co_await later.recv(); }());
  closer.join();
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.error() == corio::make_error_code(corio::errc::end_of_stream));
}

// A recv cancelled by timeout() takes nothing: values sent around the cancellations all arrive,
// in order, and no wake meant for a cancelled recv disturbs the next one.
BOOST_AUTO_TEST_CASE(cancelled_recv_loses_nothing) {
  runtime_fixture f;
  constexpr int total = 20'000;
  corio::channel<int> ch;
  std::thread sender([&] {
    for (int i = 0; i < total; ++i) {
      ch.send(i);
      if (i % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  int next = 0, timeouts = 0, other_errors = 0;
  f.rt.block_on([&]() -> task<void> {
    while (next < total) {
      auto r = co_await corio::timeout(std::chrono::microseconds(50), ch.recv());
      if (r) {
        if (*r != next) ++other_errors;
        next = *r + 1;
      } else if (r.error() == corio::make_error_code(corio::errc::timed_out)) {
        ++timeouts;
      } else {
        ++other_errors;
      }
    }
  }());
  sender.join();
  BOOST_TEST_MESSAGE("timeouts: " << timeouts);
  BOOST_CHECK_EQUAL(next, total);
  BOOST_CHECK_EQUAL(other_errors, 0);
  BOOST_CHECK(!ch.try_recv());
}

// A parked receiver whose task is cancelled (runtime shutdown) is unregistered: a send after
// that wakes nobody and the value stays for the next receiver.
BOOST_AUTO_TEST_CASE(receiver_cancelled_by_shutdown) {
  clean_shutdown_check check;
  corio::channel<int> ch;
  {
    corio::runtime rt;
    rt.block_on([&]() -> task<void> {
      corio::spawn([](corio::channel<int> c) -> task<void> { (void)co_await c.recv(); }(ch)).detach();
      co_await corio::sleep_for(std::chrono::milliseconds(5));
    }());
    BOOST_CHECK(rt.shutdown(std::chrono::seconds(5)));
    BOOST_CHECK_EQUAL(rt.stats().tasks_live, 0u);
  }
  BOOST_CHECK(ch.send(5));  // the runtime is gone: must not be touched
  auto v = ch.try_recv();
  BOOST_REQUIRE(v);
  BOOST_CHECK_EQUAL(*v, 5);
  check.expect_no_fd_leak();
}

// Two tasks receiving at once: the second is told, not silently parked.
BOOST_AUTO_TEST_CASE(one_receiver_at_a_time) {
  runtime_fixture f;
  corio::channel<int> ch;
  f.rt.block_on([&]() -> task<void> {
    auto first = corio::spawn([](corio::channel<int> c) -> task<corio::result<int>> { co_return co_await c.recv(); }(ch));
    co_await corio::yield_now();
    co_await corio::yield_now();
    auto second = co_await ch.recv();
    BOOST_REQUIRE(!second);
    BOOST_CHECK(second.error() == corio::make_error_code(corio::errc::invalid_argument));
    ch.send(9);
    auto r = co_await first;
    BOOST_REQUIRE(r && *r);
    BOOST_CHECK_EQUAL(**r, 9);
  }());
}

BOOST_AUTO_TEST_SUITE_END()
