// corio::runtime: owns one driver (io_uring, epoll or libuv, fixed at build time) and the run
// loop. One runtime per thread; every handle belongs to the runtime it was created on.
#pragma once

#include <corio/detail/context.hpp>
#include <corio/result.hpp>
#include <corio/task.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace corio {

/// Counters a user can check for leaks and progress. Read on the loop thread.
struct runtime_stats {
  std::uint64_t ops_submitted = 0;   ///< operations handed to the driver
  std::uint64_t ops_completed = 0;   ///< operations whose final completion arrived
  std::uint64_t ops_in_flight = 0;   ///< submitted and not yet completed
  std::uint64_t tasks_spawned = 0;
  std::uint64_t tasks_live = 0;      ///< spawned tasks not yet finished
  std::uint64_t fds_owned = 0;       ///< descriptors not yet closed: owned by handles, or their close pending (see closes_pending)
  std::uint64_t closes_pending = 0;  ///< closes queued or in flight
  std::uint64_t closes_forced = 0;   ///< closed synchronously past a shutdown deadline
  std::uint64_t timers_armed = 0;
};

/// Which driver a runtime may use. Only a CORIO_BACKEND=auto build has a choice (io_uring and
/// epoll compiled in); the environment variable CORIO_DRIVER=io_uring|epoll overrides this for
/// operators (any other value is an error). runtime::backend_reason() says what decided.
enum class driver_policy : unsigned char {
  /// io_uring when the kernel gives a ring with every opcode corio uses; epoll when io_uring is
  /// refused (EPERM, EACCES, ENOSYS, EINVAL from io_uring_setup) or lacks an opcode. Resource
  /// errors (ENOMEM from a low `ulimit -l`, EMFILE...) are errors, not a reason to switch.
  /// On a single-driver build: that driver.
  prefer_io_uring,
  /// io_uring or an error naming why not (std::system_error from runtime's constructor).
  require_io_uring,
  /// epoll, never io_uring. An io_uring-only or libuv build: errc::unsupported.
  require_epoll,
};

struct runtime_options {
  /// Submission queue entries (io_uring; its completion queue gets 4x as many); a hint
  /// elsewhere. Bounds one submission batch, not the operations in flight: a full ring is
  /// submitted and refilled. 256 measured as well as 4096 at 500 HTTP connections (README).
  unsigned queue_entries = 256;
  /// Threads of the blocking pool used for files on epoll.
  unsigned blocking_threads = 4;
  /// How the driver is chosen (CORIO_BACKEND=auto builds); see driver_policy.
  corio::driver_policy driver_policy = corio::driver_policy::prefer_io_uring;
};

namespace detail {
class runtime_state;
}

/// The stats of the runtime running on this thread (all zero outside one): lets a task check
/// for leaks or operations left in flight.
runtime_stats this_runtime_stats() noexcept;

class runtime {
 public:
  /// Creates the driver (options.driver_policy, CORIO_DRIVER). Throws std::system_error naming
  /// the cause if the kernel refuses it (e.g. io_uring disabled by seccomp on an io_uring-only
  /// build), if the policy asks for a driver this build lacks (errc::unsupported), or if
  /// CORIO_DRIVER holds an unknown name (errc::invalid_argument).
  explicit runtime(runtime_options options = {});
  /// Cancels every task left, completes every pending close and in-flight operation, then
  /// destroys the driver: no descriptor of this runtime leaks.
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// The driver in use: "io_uring", "epoll" or "libuv" (an auto build names the one it chose).
  std::string_view backend() const noexcept;
  /// Why that driver: "io_uring: all 21 probed opcodes supported", "io_uring refused: EPERM
  /// from io_uring_setup", "CORIO_DRIVER=epoll", "built for epoll only (CORIO_BACKEND=epoll)"...
  std::string_view backend_reason() const noexcept;
  runtime_stats stats() const noexcept;

  /// Runs the loop on this thread until `t` finishes; returns its value or rethrows its
  /// exception. Throws std::system_error(errc::nested_block_on) if this thread is already
  /// running a runtime.
  template <class T>
  T block_on(task<T> t);

  /// Cancels every task, then drives the loop until every operation and close has completed
  /// or `deadline` passes; past it, what is left is closed synchronously and counted in
  /// stats().closes_forced. Returns true if everything finished in time. Loop thread only,
  /// outside block_on.
  bool shutdown(std::chrono::nanoseconds deadline = std::chrono::seconds(5));

  /// Runs fn on the loop thread at its next turn and wakes the loop. Any thread.
  void post(std::function<void()> fn);
  /// Wakes the loop if it is waiting for I/O. Any thread.
  void wake() noexcept;

 private:
  void run_root(std::coroutine_handle<> root);
  std::unique_ptr<detail::runtime_state> state_;
};

namespace detail {

/// The coroutine block_on runs: awaits the user's task and stores its outcome.
struct root_coro {
  struct promise_type {
    root_coro get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
    std::exception_ptr error;
  };
  std::coroutine_handle<promise_type> handle;
};

template <class T>
root_coro run_to_slot(task<T> t, std::optional<T>& slot) {
  slot.emplace(co_await std::move(t));
}
inline root_coro run_to_slot(task<void> t) { co_await std::move(t); }

}  // namespace detail

template <class T>
T runtime::block_on(task<T> t) {
  if constexpr (std::is_void_v<T>) {
    auto root = detail::run_to_slot(std::move(t));
    struct guard { std::coroutine_handle<> h; ~guard() { h.destroy(); } } g{root.handle};
    run_root(root.handle);
    if (root.handle.promise().error) std::rethrow_exception(root.handle.promise().error);
  } else {
    std::optional<T> slot;
    auto root = detail::run_to_slot(std::move(t), slot);
    struct guard { std::coroutine_handle<> h; ~guard() { h.destroy(); } } g{root.handle};
    run_root(root.handle);
    if (root.handle.promise().error) std::rethrow_exception(root.handle.promise().error);
    return std::move(*slot);
  }
}

}  // namespace corio
