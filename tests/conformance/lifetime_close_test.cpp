// Descriptor lifetimes (issue 5): the runtime's destruction drains every close, shared owners,
// handles that outlive their runtime, and cancelled operations that produce descriptors.
#include "lifetime_support.hpp"

#include <memory>
#include <optional>
#include <random>
#include <vector>

using namespace corio_test;
using corio::task;
using clk = std::chrono::steady_clock;
namespace fs = corio::fs;

BOOST_AUTO_TEST_SUITE(lifetime_close)

// 1. Thousands of handles dropped at once, the runtime destroyed before their closes ran.
BOOST_AUTO_TEST_CASE(dropped_handles_close_when_the_runtime_is_destroyed_at_once) {
  clean_shutdown_check check;
  temp_dir dir;
  {
    corio::runtime rt;
    auto body = [](temp_dir& dir) -> task<void> {
      auto l = listen_loopback();
      std::vector<fs::file> files;
      std::vector<net::tcp_stream> streams;
      for (int i = 0; i < 1000; ++i) {
        auto f = co_await fs::file::create(dir.file("f" + std::to_string(i)));
        BOOST_REQUIRE(f.has_value());
        files.push_back(std::move(*f));
        auto [a, b] = co_await tcp_pair(l);
        streams.push_back(std::move(a));
        streams.push_back(std::move(b));
      }
      BOOST_CHECK(open_fd_count() >= 3000u);
    };  // every handle drops here: 3,001 closes queued
    rt.block_on(body(dir));
    BOOST_CHECK(rt.stats().closes_pending > 0u);  // the runtime is destroyed with closes queued
  }
  check.expect_no_fd_leak();
}

// 2. Pending accepts and reads when the runtime is destroyed: quick, and nothing leaks.
BOOST_AUTO_TEST_CASE(pending_accepts_and_reads_at_destruction) {
  clean_shutdown_check check;
  clk::duration destroy_took{};
  {
    auto rt = std::make_unique<corio::runtime>();
    auto body = []() -> task<void> {
      auto main_listener = listen_loopback();
      for (int i = 0; i < 100; ++i) {
        corio::spawn([]() -> task<void> {
          auto l = listen_loopback();
          (void)co_await l.accept();  // never completes
        }()).detach();
      }
      for (int i = 0; i < 500; ++i) {
        auto [a, b] = co_await tcp_pair(main_listener);
        for (auto* s : {&a, &b}) {
          corio::spawn([](net::tcp_stream s) -> task<void> {
            std::array<std::byte, 64> buf;
            (void)co_await s.read(buf);  // idle: never completes
          }(std::move(*s))).detach();
        }
      }
      co_await corio::sleep_for(50ms);  // every accept and read is in flight now
    };
    rt->block_on(body());
    BOOST_CHECK(rt->stats().ops_in_flight >= 1100u);
    auto t0 = clk::now();
    rt.reset();
    destroy_took = clk::now() - t0;
  }
  BOOST_CHECK(destroy_took < 1s);
  check.expect_no_fd_leak();
}

// 3. close() waits for the other owners, then closes exactly once.
BOOST_FIXTURE_TEST_CASE(close_waits_for_shared_owners, runtime_fixture) {
  auto body = []() -> task<void> {
    auto l = listen_loopback();
    auto [a, b] = co_await tcp_pair(l);
    const int fd = a.native_handle();
    auto other = a.share();
    bool closed = false;
    auto closer = corio::spawn([](net::tcp_stream a, bool& closed) -> task<corio::result<void>> {
      auto r = co_await a.close();
      closed = true;
      co_return r;
    }(std::move(a), closed));
    co_await corio::sleep_for(30ms);
    BOOST_CHECK(!closed);          // the other owner still holds it
    BOOST_CHECK(fd_is_open(fd));
    other = net::tcp_stream();     // the last other owner lets go
    auto r = co_await closer;
    BOOST_REQUIRE(r.has_value());
    BOOST_CHECK(r->has_value());   // the close's own result: success, so it ran once
    BOOST_CHECK(closed);
    BOOST_CHECK(sees_eof_within(b.native_handle(), 1000));  // closed: the peer sees FIN
    // Closing a moved-from or already closed handle is a clear error.
    auto again = co_await other.close();
    BOOST_CHECK(!again && again.error() == corio::errc::closed_handle);
  };
  rt.block_on(body());
}

// 4. A handle that outlives its runtime closes synchronously, without touching it.
BOOST_AUTO_TEST_CASE(handle_destroyed_after_its_runtime) {
  clean_shutdown_check check;
  std::optional<net::tcp_stream> kept;
  int peer = -1;
  {
    corio::runtime rt;
    kept = rt.block_on([](int& peer) -> task<net::tcp_stream> {
      auto l = listen_loopback();
      peer = raw_connect(l);
      auto s = co_await l.accept();
      BOOST_REQUIRE(s.has_value());
      co_return std::move(s->stream);
    }(peer));
  }
  const int fd = kept->native_handle();
  BOOST_CHECK(fd_is_open(fd));
  {
    // Using it on another runtime is a clear error, not a crash.
    corio::runtime other;
    auto r = other.block_on([](net::tcp_stream& s) -> task<corio::result<std::size_t>> {
      std::array<std::byte, 8> buf;
      co_return co_await s.read(buf);
    }(*kept));
    BOOST_CHECK(!r && r.error() == corio::errc::runtime_gone);
  }
  kept.reset();
  BOOST_CHECK(sees_eof_within(peer, 1000));
  ::close(peer);
  check.expect_no_fd_leak();
}

// 5. Many short-lived runtimes, each with a socket and a file.
BOOST_AUTO_TEST_CASE(ten_thousand_runtime_cycles_leak_nothing) {
  clean_shutdown_check check;
  temp_dir dir;
  const std::string path = dir.file("cycle");
  for (int i = 0; i < 10'000; ++i) {
    corio::runtime rt;
    rt.block_on([](const std::string& path) -> task<void> {
      auto pair = net::unix_stream::pair();
      BOOST_REQUIRE(pair.has_value());
      auto f = co_await fs::file::create(path);
      BOOST_REQUIRE(f.has_value());
    }(path));
  }
  check.expect_no_fd_leak();
}

BOOST_AUTO_TEST_SUITE_END()
