// Shared helpers for the conformance suite: every test runs the same on every driver.
#pragma once

#include <corio/corio.hpp>

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>

namespace corio_test {

using namespace std::chrono_literals;

/// Runs a blocking system call again while it fails with EINTR. Needed on any thread that ran an
/// io_uring runtime: when the kernel tears that ring down (after the runtime is gone) it sends
/// the thread task work with TWA_SIGNAL, and a blocking socket call with SO_RCVTIMEO or
/// SO_SNDTIMEO set fails with EINTR instead of being restarted.
template <class F>
auto retry_eintr(F call) {
  for (;;) {
    auto r = call();
    if (r >= 0 || errno != EINTR) return r;
  }
}

/// Where the example programs are built (the tests that run them as processes).
inline const std::string examples = CORIO_EXAMPLES_DIR;

/// Number of open descriptors of this process (/proc/self/fd).
std::size_t open_fd_count();

/// CPU time (user + system) another process has used, in seconds (/proc/PID/stat).
double cpu_seconds(pid_t pid);

/// The RLIMIT_NOFILE value that leaves process pid exactly `room` new descriptors: the limit
/// is on descriptor numbers, and new ones take the lowest free numbers (the process may have
/// gaps, or inherited high numbers).
rlim_t limit_leaving(pid_t pid, int room);

/// A fresh, empty directory removed at the end of the test.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Checks that a runtime has nothing in flight and no descriptor left, and that the process
/// is back at the descriptor count it started with. Every test ends with it.
class clean_shutdown_check {
 public:
  clean_shutdown_check() : fds_at_start_(open_fd_count()) {}
  void expect_clean(corio::runtime& rt) const;
  void expect_no_fd_leak() const;

 private:
  std::size_t fds_at_start_;
};

/// Prints a skip line naming the backend and the reason; use with return.
void skip(corio::runtime& rt, const std::string& reason);
void skip(const std::string& reason);

/// A fixture: one runtime, checked for a clean shutdown when the test ends.
struct runtime_fixture {
  clean_shutdown_check check;
  std::unique_ptr<corio::runtime> owned = std::make_unique<corio::runtime>();
  corio::runtime& rt = *owned;
  ~runtime_fixture();
};

}  // namespace corio_test
