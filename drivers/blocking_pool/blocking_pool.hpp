// A small bounded pool of threads that run blocking system calls (regular files on epoll;
// reusable for getaddrinfo on any driver). Threads start lazily, on demand, up to a bound, and
// are all joined when the pool stops: a runtime that never touches a file never starts one.
#pragma once

#include "drivers/readiness/op_list.hpp"

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace corio::detail {

class blocking_pool {
 public:
  /// Runs on a worker: performs op, returns its result (>= 0 or -errno).
  using perform_fn = int (*)(op_base& op) noexcept;
  /// Runs on a worker (with the pool's lock held): finished jobs are waiting in take_done().
  using notify_fn = void (*)(void* ctx) noexcept;

  blocking_pool(unsigned max_threads, perform_fn perform, notify_fn notify, void* ctx) noexcept;
  ~blocking_pool();
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  /// Queues op (owner thread). 0, or -errno when no worker exists and none could start (then
  /// op is not queued).
  int push(op_base& op) noexcept;
  /// Unqueues op if no worker has taken it yet (owner thread). True: it will never run.
  bool cancel(op_base& op) noexcept;
  /// Finished jobs, each with op.result set, in completion order (owner thread).
  op_list take_done() noexcept;
  /// Stops and joins every worker; jobs not yet started are dropped. Idempotent.
  void stop() noexcept;

 private:
  void work() noexcept;
  bool start_worker() noexcept;  // with mu_ held

  // ---- set once at construction ----
  const unsigned max_threads_;
  const perform_fn perform_;
  const notify_fn notify_;
  void* const ctx_;

  // ---- shared with the workers, under mu_ ----
  std::mutex mu_;
  std::condition_variable cv_;
  op_list pending_;
  op_list done_;
  std::size_t queued_ = 0;  ///< length of pending_
  std::size_t idle_ = 0;    ///< workers waiting for a job
  bool stop_ = false;

  // ---- owner thread (and stop()) ----
  std::vector<std::thread> threads_;
};

}  // namespace corio::detail
