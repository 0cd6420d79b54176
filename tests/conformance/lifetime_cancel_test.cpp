// Cancelled operations and descriptors (issue 5): a descriptor produced by a cancelled accept or
// open is closed by the core; a cancelled reader's stream closes at once; a cancelled read's
// buffer is never written after its frame is gone.
#include "lifetime_support.hpp"

#include <random>
#include <vector>

using namespace corio_test;
using corio::task;
using clk = std::chrono::steady_clock;
namespace fs = corio::fs;

BOOST_AUTO_TEST_SUITE(lifetime_cancel)

// 6. Accepts and opens raced against timeouts and cancellation that land near completion.
BOOST_AUTO_TEST_CASE(racing_accepts_and_opens_leak_nothing) {
  clean_shutdown_check check;
  temp_dir dir;
  int won = 0, lost = 0;
  {
    corio::runtime rt;
    rt.block_on([](temp_dir& dir, int& won, int& lost) -> task<void> {
      std::mt19937 rng(42);
      auto l = listen_loopback();
      std::vector<net::tcp_stream> clients;
      for (int i = 0; i < 1000; ++i) {
        // A client connects while the accept is raced against a timer of 0-200 us.
        auto client = corio::spawn(net::tcp_stream::connect(*l.local_address()));
        auto jitter = std::chrono::microseconds(rng() % 200);
        if (i % 2 == 0) {
          auto r = co_await corio::timeout(jitter, l.accept());
          r ? ++won : ++lost;
        } else {
          auto h = corio::spawn([](net::tcp_listener& l) -> task<bool> { co_return (co_await l.accept()).has_value(); }(l));
          co_await corio::sleep_for(jitter);
          h.cancel();
          auto r = co_await h;
          (r && *r) ? ++won : ++lost;
        }
        auto c = co_await client;
        if (c && *c) clients.push_back(std::move(**c));
      }
      for (int i = 0; i < 1000; ++i) {
        auto path = dir.file("o" + std::to_string(i % 50));
        auto jitter = std::chrono::microseconds(rng() % 100);
        if (i % 2 == 0) {
          auto r = co_await corio::timeout(jitter, fs::file::create(path));
          r ? ++won : ++lost;
        } else {
          auto h = corio::spawn([](std::string path) -> task<bool> {
            co_return (co_await fs::file::create(path)).has_value();
          }(path));
          co_await corio::sleep_for(jitter);
          h.cancel();
          auto r = co_await h;
          (r && *r) ? ++won : ++lost;
        }
      }
    }(dir, won, lost));
    BOOST_TEST_MESSAGE("races won " << won << ", lost " << lost);
    BOOST_CHECK_EQUAL(won + lost, 2000);
  }
  check.expect_no_fd_leak();
}

// 7a. The task reading a stream is cancelled: the peer sees end-of-stream within 100 ms.
BOOST_FIXTURE_TEST_CASE(cancelled_reader_closes_its_stream, runtime_fixture) {
  auto body = []() -> task<void> {
    auto l = listen_loopback();
    int peer = raw_connect(l);
    auto s = co_await l.accept();
    BOOST_REQUIRE(s.has_value());
    auto reader = corio::spawn([](net::tcp_stream s) -> task<void> {
      std::array<std::byte, 64> buf;
      (void)co_await s.read(buf);
    }(std::move(s->stream)));
    co_await corio::sleep_for(20ms);  // the read is pending in the kernel
    reader.cancel();
    auto t0 = clk::now();
    bool eof = false;
    while (!eof && clk::now() - t0 < 100ms) {
      co_await corio::sleep_for(1ms);
      eof = sees_eof_within(peer, 0);
    }
    BOOST_CHECK_MESSAGE(eof, "the peer did not see end-of-stream within 100 ms");
    ::close(peer);
  };
  rt.block_on(body());
}

// 7b. The runtime is destroyed while a read is pending: the peer sees end-of-stream in 100 ms.
BOOST_AUTO_TEST_CASE(destroyed_runtime_closes_a_stream_with_a_pending_read) {
  clean_shutdown_check check;
  int peer = -1;
  {
    corio::runtime rt;
    rt.block_on([](int& peer) -> task<void> {
      auto l = listen_loopback();
      peer = raw_connect(l);
      auto s = co_await l.accept();
      BOOST_REQUIRE(s.has_value());
      corio::spawn([](net::tcp_stream s) -> task<void> {
        std::array<std::byte, 64> buf;
        (void)co_await s.read(buf);
      }(std::move(s->stream))).detach();
      co_await corio::sleep_for(20ms);
    }(peer));
  }
  BOOST_CHECK(sees_eof_within(peer, 100));
  ::close(peer);
  check.expect_no_fd_leak();
}

// 8. Cancelled mid-read while the peer keeps sending: the task's buffer (in its frame) is never
// written after the frame is gone — AddressSanitizer would report it — and its handles close.
BOOST_FIXTURE_TEST_CASE(cancelled_read_never_writes_a_freed_buffer, runtime_fixture) {
  auto body = []() -> task<void> {
    auto l = listen_loopback();
    for (int round = 0; round < 50; ++round) {
      auto [ours, theirs] = co_await tcp_pair(l);
      int got = 0;
      auto reader = corio::spawn([](net::tcp_stream s, int& got) -> task<void> {
        std::array<std::byte, 4096> buf;  // lives in this task's frame
        for (;;) {
          auto n = co_await s.read(buf);
          if (!n || *n == 0) co_return;
          got += static_cast<int>(*n);
        }
      }(std::move(ours), got));
      std::array<std::byte, 1024> data{};
      (void)co_await theirs.write(data);
      co_await corio::yield_now();
      reader.cancel();
      for (int i = 0; i < 8; ++i) (void)co_await theirs.write(data);  // lands after the cancel
      auto r = co_await reader;
      BOOST_CHECK(!r);
      std::array<std::byte, 16> sink;
      auto eof = co_await corio::timeout(2s, theirs.read(sink));
      BOOST_CHECK(eof.has_value() || eof.error() != corio::errc::timed_out);  // EOF or reset, not silence
    }
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_SUITE_END()
