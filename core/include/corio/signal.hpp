// corio::signal_set: receive POSIX signals (SIGINT, SIGTERM...) as awaitable events on the loop.
// Implemented over signalfd, read after a poll operation, so it works the same on every driver.
#pragma once

#include <corio/detail/fd_handle.hpp>
#include <corio/result.hpp>
#include <corio/task.hpp>

#include <csignal>  // SIGINT, SIGTERM... for the callers' signal lists
#include <initializer_list>

namespace corio {

class signal_set {
 public:
  /// Blocks `signals` for this thread (threads it starts later inherit the mask) and routes
  /// them to this set. Create it before starting other threads, so none of them takes the
  /// signal with its default action. Needs a running runtime.
  static result<signal_set> create(std::initializer_list<int> signals);

  signal_set() noexcept = default;
  signal_set(signal_set&&) noexcept = default;
  signal_set& operator=(signal_set&&) noexcept = default;
  /// Closes the signalfd and restores the previous signal mask of the creating thread.
  ~signal_set();

  /// Waits for the next signal of the set and yields its number.
  task<result<int>> wait();

 private:
  detail::fd_handle h_;
  unsigned long long blocked_ = 0;  // the signals this set blocked (bit n-1 for signal n)
};

}  // namespace corio
