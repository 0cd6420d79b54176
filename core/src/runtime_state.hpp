// The runtime's private state: the driver, the ready queue, timers, live tasks and live
// descriptors. Split by responsibility across runtime.cpp (the loop), scheduler.cpp (what
// awaiters call), spawn.cpp (task lifetimes) and fd_table.cpp (descriptor lifetimes).
#pragma once

#include <corio/detail/fd_record.hpp>
#include <corio/runtime.hpp>
#include <corio/spawn.hpp>

#include "core/src/driver.hpp"
#include "core/src/node_queue.hpp"
#include "core/src/timer_heap.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace corio::detail {

class runtime_state {
 public:
  explicit runtime_state(const runtime_options& options);
  ~runtime_state();

  // ---- the loop (runtime.cpp) ----
  /// Runs until `done` is finished. Re-entrancy is checked by the caller.
  void run_until_done(std::coroutine_handle<> done);
  /// One turn: run ready tasks, collect completions, fire timers, wait up to `max_wait_ns`.
  void turn(std::int64_t max_wait_ns);
  void fire_timers();
  /// Resumes the coroutines transfer() bounced, until none is left (each may bounce again).
  void run_bounced() noexcept;
  bool drain(clock::time_point deadline);
  void post(std::function<void()> fn);
  runtime_stats snapshot() const noexcept;

  // ---- operations (scheduler.cpp) ----
  void submit(op_base& op) noexcept;
  void cancel(op_base& op) noexcept;
  void on_completed(op_base& op) noexcept;
  std::coroutine_handle<> enter(ready_node& n) noexcept;
  void queue_unwind(task_ctx& ctx) noexcept;
  /// Queues a leaf's waiter whose wait is over (a timer fired, a joined task finished, a close
  /// completed). Its scope's hook goes at once: a cancel arriving before the waiter runs must
  /// not queue the node a second time (it only marks the scope; enter() then unwinds it).
  void wake(ready_node& n) noexcept {
    if (n.ctx) n.ctx->hook = nullptr;
    ready_.push(n);
  }

  // ---- tasks (spawn.cpp) ----
  void launch(spawn_state& s, std::coroutine_handle<> frame) noexcept;
  void finish(spawn_state& s) noexcept;
  void cancel_task(spawn_state& s) noexcept;
  void kill_now(spawn_state& s) noexcept;
  void cancel_all_tasks() noexcept;

  // ---- descriptors (fd_table.cpp) ----
  fd_record* adopt(int fd, fd_kind kind);
  void last_owner_gone(fd_record& r) noexcept;
  void start_close(fd_record& r) noexcept;
  void on_closed(fd_record& r) noexcept;
  void detach_all_records() noexcept;
  void force_close_all() noexcept;

  // ---- set once at construction ----
  completion_queue completed_;  // declared before driver_: the driver holds a reference
  std::string driver_reason_;   // declared before driver_: make_driver sets it
  driver driver_;
  std::thread::id owner_thread_;

  // ---- loop thread only ----
  node_queue ready_;
  node_queue to_unwind_;  ///< scopes (their unwind nodes) whose frames must be destroyed
  /// Coroutines whose resumption chain hit the stack budget (transfer.hpp), with their scope.
  /// Reserved at construction: a bounce allocates only past that many at once.
  struct bounced_resume {
    std::coroutine_handle<> handle;
    task_ctx* ctx;
  };
  std::vector<bounced_resume> bounced_;
  timer_heap timers_;
  spawn_state* tasks_ = nullptr;
  fd_record* records_ = nullptr;
  runtime_stats stats_;
  std::coroutine_handle<> root_;  ///< block_on's task: the loop must not sleep once it is done
  /// Turns that ran ready tasks without polling the driver (see turn()).
  static constexpr unsigned max_turns_without_poll = 16;
  unsigned turns_without_poll_ = 0;
  bool shutting_down_ = false;
  /// block_on is running somewhere: claimed with an exchange, so that a second thread calling
  /// block_on on this runtime gets wrong_runtime and never races the owner.
  std::atomic<bool> running_{false};

  // ---- any thread ----
  std::mutex inbox_mutex_;
  std::vector<std::function<void()>> inbox_;
  std::atomic<bool> inbox_pending_{false};
};

}  // namespace corio::detail
