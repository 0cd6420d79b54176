// corio::runtime_group: a runtime per thread, constructed on its thread; post, start, wait,
// pinning, and a shutdown that drains every runtime (open connections included) without
// leaking a descriptor. Run under TSan by ci/reliability.
#include "support.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <cstring>
#include <mutex>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace corio_test;
using corio::task;
namespace net = corio::net;

namespace {

/// A blocking client socket connected to 127.0.0.1:port with a receive timeout; -1 on failure.
int connect_plain(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// A socket bound (not listening) to a free loopback port with SO_REUSEPORT: holds the port
/// while the group's listeners bind it too. Returns the descriptor and sets *port.
int reserve_port(std::uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return -1;
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

task<void> echo(net::tcp_stream s) {
  std::array<std::byte, 256> buf;
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) co_return;
    if (!co_await s.write_all(std::span(buf).first(*n))) co_return;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(group)

// Each runtime runs on its own thread (constructed there), post() runs on the right one, and
// every runtime chose the same driver as a runtime made here would.
BOOST_AUTO_TEST_CASE(post_runs_on_the_runtime_thread) {
  clean_shutdown_check check;
  std::string here;
  {
    corio::runtime rt;
    here = std::string(rt.backend());
  }
  {
    corio::runtime_group group({.threads = 3});
    BOOST_REQUIRE_EQUAL(group.size(), 3u);
    std::mutex m;
    std::vector<std::thread::id> started(3), posted(3);
    BOOST_REQUIRE(group.start([&](std::size_t i) -> task<void> {
      std::lock_guard lock(m);
      started[i] = std::this_thread::get_id();
      co_return;
    }));
    group.wait();
    std::atomic<int> runs{0};
    for (std::size_t i = 0; i < 3; ++i) {
      BOOST_CHECK_EQUAL(group.backend(i), here);
      BOOST_CHECK(!group.backend_reason(i).empty());
      BOOST_REQUIRE(group.post(i, [&, i] {
        // A runtime is running on this thread: its stats are readable, spawn would work.
        std::lock_guard lock(m);
        posted[i] = std::this_thread::get_id();
        ++runs;
      }));
    }
    while (runs.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::set<std::thread::id> distinct;
    for (std::size_t i = 0; i < 3; ++i) {
      std::lock_guard lock(m);
      BOOST_CHECK(started[i] == posted[i]);
      BOOST_CHECK(started[i] != std::this_thread::get_id());
      distinct.insert(started[i]);
    }
    BOOST_CHECK_EQUAL(distinct.size(), 3u);
    BOOST_CHECK_THROW(group.post(3, [] {}), std::out_of_range);
    BOOST_CHECK(group.shutdown());
    BOOST_CHECK(!group.post(0, [] {}));  // after shutdown: refused, not run
    BOOST_CHECK(!group.start([](std::size_t) -> task<void> { co_return; }));
    group.wait();  // the refused start left nothing counted
  }
  check.expect_no_fd_leak();
}

// pin = true: thread i runs on exactly one CPU, the i-th this process may use.
BOOST_AUTO_TEST_CASE(pinned_threads) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  BOOST_REQUIRE(sched_getaffinity(0, sizeof(allowed), &allowed) == 0);
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  }
  const std::size_t n = 2;
  corio::runtime_group group({.threads = n, .pin = true});
  std::mutex m;
  std::vector<std::vector<int>> masks(n);
  BOOST_REQUIRE(group.start([&](std::size_t i) -> task<void> {
    cpu_set_t set;
    CPU_ZERO(&set);
    pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
    std::lock_guard lock(m);
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) masks[i].push_back(c);
    }
    co_return;
  }));
  group.wait();
  for (std::size_t i = 0; i < n; ++i) {
    BOOST_REQUIRE_EQUAL(masks[i].size(), 1u);
    BOOST_CHECK_EQUAL(masks[i][0], cpus[i % cpus.size()]);
  }
  BOOST_CHECK(group.shutdown());
}

// A runtime that cannot be set up (here: a CPU that does not exist) fails the constructor
// with its error; the threads that did start are shut down and joined, nothing leaks.
BOOST_AUTO_TEST_CASE(construction_error_is_reported) {
  clean_shutdown_check check;
  try {
    corio::runtime_group group({.threads = 2, .pin = true, .cpus = {0, 1 << 20}});
    BOOST_FAIL("the group was constructed");
  } catch (const std::system_error& e) {
    BOOST_CHECK(e.code() == corio::make_error_code(corio::errc::invalid_argument));
    BOOST_CHECK_MESSAGE(std::string(e.what()).find("pin thread 1") != std::string::npos, e.what());
  }
  check.expect_no_fd_leak();
}

// shutdown() and wait() from a thread of the group would wait for themselves: an error.
BOOST_AUTO_TEST_CASE(shutdown_from_inside_is_refused) {
  corio::runtime_group group({.threads = 1});
  std::atomic<int> outcome{0};  // 1: refused as expected, 2: something else
  BOOST_REQUIRE(group.post(0, [&] {
    try {
      group.shutdown();
      outcome = 2;
    } catch (const std::system_error& e) {
      outcome = e.code() == corio::make_error_code(corio::errc::wrong_runtime) ? 1 : 2;
    }
  }));
  while (outcome.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  BOOST_CHECK_EQUAL(outcome.load(), 1);
  BOOST_CHECK(group.shutdown());
}

// A listener per runtime on one port (SO_REUSEPORT): the kernel spreads connections over both;
// a shutdown with every connection still open (reads pending on the server side) closes each
// of them (the clients read end-of-stream) and leaves no descriptor behind.
BOOST_AUTO_TEST_CASE(shutdown_with_open_connections_leaks_nothing) {
  clean_shutdown_check check;
  constexpr std::size_t threads = 2, clients = 32;
  std::uint16_t port = 0;
  int holder = reserve_port(&port);
  BOOST_REQUIRE(holder >= 0);

  std::atomic<std::size_t> listening{0};
  std::atomic<std::size_t> accepted[threads] = {};
  std::mutex m;
  std::string bind_error;
  std::vector<int> fds;
  {
    corio::runtime_group group({.threads = threads});
    BOOST_REQUIRE(group.start([&](std::size_t i) -> task<void> {
      auto addr = net::address::parse("127.0.0.1:" + std::to_string(port));
      auto l = net::tcp_listener::bind(*addr, {.reuse_port = true});
      if (!l) {
        std::lock_guard lock(m);
        bind_error = l.error().message();  // checked on the test thread (Boost.Test is not thread-safe)
        ++listening;
        co_return;
      }
      ++listening;
      corio::task_group conns;
      for (;;) {
        auto c = co_await l->accept();
        if (!c) continue;
        ++accepted[i];
        conns.spawn(echo(std::move(c->stream)));
      }
    }));
    while (listening.load() < threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ::close(holder);  // the listeners hold the port now
    {
      std::lock_guard lock(m);
      BOOST_REQUIRE_MESSAGE(bind_error.empty(), "bind with reuse_port: " << bind_error);
    }

    for (std::size_t k = 0; k < clients; ++k) {
      int fd = connect_plain(port);
      BOOST_REQUIRE(fd >= 0);
      fds.push_back(fd);
      char c = 'x';
      BOOST_REQUIRE_EQUAL(::send(fd, &c, 1, MSG_NOSIGNAL), 1);
      char back = 0;
      // The receive timeout makes recv fail with EINTR (not restart) when the kernel tears down a
      // ring this thread used in an earlier test: see retry_eintr. connect and send have no timeout
      // set, so the kernel restarts them itself (a connect retried by hand would get EALREADY).
      const ssize_t got = retry_eintr([&] { return ::recv(fd, &back, 1, 0); });
      const int err = errno;
      BOOST_REQUIRE_MESSAGE(got == 1, "client " << k << ": recv returned " << got << " (errno " << err << ", "
                                                 << std::strerror(err) << "), accepted " << accepted[0].load() << "/"
                                                 << accepted[1].load());  // served: accepted and echoing
      BOOST_CHECK_EQUAL(back, 'x');
    }
    BOOST_CHECK_EQUAL(accepted[0].load() + accepted[1].load(), clients);
    // 32 connections hashed over two listeners: all on one has probability 2^-31.
    BOOST_CHECK_MESSAGE(accepted[0].load() > 0 && accepted[1].load() > 0,
                        "spread " << accepted[0].load() << "/" << accepted[1].load());

    BOOST_CHECK(group.shutdown(std::chrono::seconds(5)));  // every connection still open
  }
  for (int fd : fds) {
    char c;
    BOOST_CHECK_EQUAL(retry_eintr([&] { return ::recv(fd, &c, 1, 0); }), 0);  // the server side closed: end-of-stream
    ::close(fd);
  }
  check.expect_no_fd_leak();
}

BOOST_AUTO_TEST_SUITE_END()
