// corio::runtime_group: N threads, each running its own runtime (thread-per-core). Runtimes
// share nothing; work moves between them with post() or a corio::channel, and connections are
// spread by the kernel with one SO_REUSEPORT listener per runtime.
#pragma once

#include <corio/runtime.hpp>
#include <corio/task.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace corio {

struct runtime_group_options {
  /// Number of threads (and runtimes); 0: one per CPU this process may run on.
  std::size_t threads = 0;
  /// Pin thread i to one CPU: cpus[i % cpus.size()], or with cpus empty the i-th CPU of this
  /// process's affinity mask (wrapping around). A pin the kernel refuses is an error.
  bool pin = false;
  std::vector<int> cpus{};
  /// Options of every runtime (driver policy, queue size...).
  runtime_options runtime{};
};

namespace detail {
class group_state;
}

/// Thread rules: every member may be called from any thread except where noted; a runtime of the
/// group is only ever touched by its own thread (io_uring's SINGLE_ISSUER ties a ring to the
/// thread that created it, so each runtime is also constructed on its thread).
class runtime_group {
 public:
  /// Starts the threads and constructs each runtime on its own thread; returns once all are
  /// running. If one cannot be constructed, the others are shut down and joined and its
  /// std::system_error is rethrown here.
  explicit runtime_group(runtime_group_options options = {});
  /// shutdown() with its default deadline, if not done already.
  ~runtime_group();
  runtime_group(const runtime_group&) = delete;
  runtime_group& operator=(const runtime_group&) = delete;

  std::size_t size() const noexcept;
  /// The driver runtime i uses ("io_uring", "epoll"...), and why (runtime::backend_reason).
  std::string_view backend(std::size_t i) const;
  std::string_view backend_reason(std::size_t i) const;

  /// Runs fn on runtime i's thread at its next loop turn (fn may corio::spawn there). False if
  /// the group is shutting down (fn is not run). i >= size(): std::out_of_range.
  bool post(std::size_t i, std::function<void()> fn);

  /// Spawns factory(i) on every runtime i (the factory is called on thread i). The tasks run
  /// until they finish or shutdown() cancels them; an exception escaping one is dropped with
  /// it, as for a detached spawn. Returns false if the group is shutting down.
  bool start(std::function<task<void>(std::size_t)> factory);

  /// Blocks until every task start() spawned has finished (or shutdown() cancelled it). Not
  /// from a thread of the group.
  void wait();

  /// Shuts every runtime down as runtime::shutdown does, in parallel, each on its own thread:
  /// cancels its tasks, completes every in-flight operation and pending close within
  /// `deadline` (past it, descriptors are closed synchronously), destroys it; then joins the
  /// threads. True if every runtime finished in time. Later calls return the first result.
  /// Not from a thread of the group (it would wait for itself): std::system_error(wrong_runtime).
  bool shutdown(std::chrono::nanoseconds deadline = std::chrono::seconds(5));

 private:
  std::unique_ptr<detail::group_state> state_;
};

}  // namespace corio
