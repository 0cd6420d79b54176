// The runtime's private state: the driver, the ready queue, timers, live tasks and live
// descriptors. Split by responsibility across runtime.cpp (the loop), scheduler.cpp (what
// awaiters call), spawn.cpp (task lifetimes) and fd_table.cpp (descriptor lifetimes).
#pragma once

#include <corio/detail/fd_record.hpp>
#include <corio/detail/pool_state.hpp>
#include <corio/runtime.hpp>
#include <corio/spawn.hpp>

#include "core/src/driver.hpp"
#include "core/src/node_queue.hpp"
#include "core/src/timer_heap.hpp"

#include <atomic>
#include <cerrno>
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
  /// Twice a turn, mostly with no timer armed: that check stays inline (no clock read either).
  void fire_timers() {
    if (timers_.size() > 0) fire_due_timers();
  }
  void fire_due_timers();
  /// The driver's run_once(wait_ns) (or its flush()), and the waiters of what it completed.
  void poll_driver(std::int64_t wait_ns, bool flush_only);
  /// Resumes the coroutines transfer() bounced, until none is left (each may bounce again).
  void run_bounced() noexcept {
    if (!bounced_.empty()) run_bounced_now();
  }
  void run_bounced_now() noexcept;
  bool drain(clock::time_point deadline);
  void post(std::function<void()> fn);
  /// Runs what other threads posted (out of line: the turn that finds nothing posted, nearly
  /// every one, then needs no registers saved for it).
  [[gnu::noinline]] void run_posted();
  runtime_stats snapshot() const noexcept;

  // ---- operations (scheduler.cpp) ----
  /// Books op as in flight (on its descriptor too) and hands it to the driver. A template so
  /// that the typed stream operations reach the driver's inline preparation for their type.
  template <class Op>
  void submit(Op& op) noexcept {
    op.result = 0;
    book_submit(op);
    driver_.submit(op);
  }
  /// Books op as handed to the driver (its result is the driver's from now on: a connect
  /// parked by epoll keeps its state there).
  void book_submit(op_base& op) noexcept {
    op.state = op_state::in_flight;
    if (op.fd && !(op.marks & op_mark::closer)) {  // the close itself is not an operation on it
      fd_record& r = *op.fd;
      ++r.in_flight;
      // Listed only where the driver cannot cancel it by its descriptor (see last_owner_gone).
      if (!driver_.cancels_by_fd(op)) [[unlikely]] list_on_fd(op, r);
    }
    ++stats_.ops_submitted;
  }
  /// Puts op on its descriptor's list, where the descriptor's close finds what it must cancel.
  static void list_on_fd(op_base& op, fd_record& r) noexcept {
    op.marks |= op_mark::listed;
    op.fd_prev = nullptr;
    op.fd_next = r.ops;
    if (r.ops) r.ops->fd_prev = &op;
    r.ops = &op;
  }
  void cancel(op_base& op) noexcept;
  /// Drivers whose operations can finish inside submit (epoll, libuv: a system call that did
  /// not block) offer submit_inline: the waiter then goes on without suspending, as long as
  /// the budget lasts (see inline_budget_).
  static constexpr bool completes_inline = inline_completing<driver>;
  /// Starts op and, where the driver finishes it at once, finishes it here: true when the
  /// waiter may go on without suspending (op.result final); false once op is in flight.
  template <class Op>
  [[gnu::always_inline]] bool finish_inline(Op& op) noexcept
    requires completes_inline
  {
    if (!completes_inline_now(driver_)) [[likely]] {  // auto on io_uring; constant elsewhere
      submit(op);
      return false;
    }
    while (inline_budget_ > 0) {
      --inline_budget_;
      op.result = 0;
      if (!submit_inline(driver_, op)) {
        book_submit(op);
        return false;
      }
      stats_.ops_submitted += 1;
      stats_.ops_completed += 1;
      op.state = op_state::done;
      if constexpr (std::is_same_v<Op, recv_pooled_op>) {  // data, but the pool was empty
        return op.result != -ENOBUFS || !park_for_buffer(op, false);
      } else {
        // write_all, read_exact: a short transfer goes on at once, within the same budget.
        if (!(op.marks & op_mark::loops) || !advance_transfer(op)) return true;
      }
    }
    submit(op);
    return false;
  }

  /// Books a finished operation (its descriptor, a looping operation's next step, a close).
  /// True when its waiter is to be resumed now. Inline: collect() runs it per completion.
  [[gnu::always_inline]] bool on_completed(op_base& op) noexcept {
    op.state = op_state::done;
    ++stats_.ops_completed;
    fd_record* r = op.fd;
    if (!r) return static_cast<bool>(op.handle);
    const std::uint8_t marks = op.marks;
    // The descriptor's close, or a pooled read: one test for both rare kinds.
    if (marks & (op_mark::closer | op_mark::pooled)) [[unlikely]] {
      if (marks & op_mark::closer) {
        on_closed(*r);
        return false;
      }
      // A pooled read that found data but no free buffer waits on its pool (buffer_pool.cpp).
      if (op.result == -ENOBUFS && park_for_buffer(op, true)) return false;
    }
    // A looping operation (write_all, read_exact) goes on where it left off: still linked to
    // its descriptor, straight back to the driver. Not once the descriptor's close was asked.
    if ((marks & op_mark::loops) && !r->close_queued && advance_transfer(op)) [[unlikely]] {
      op.state = op_state::in_flight;
      ++stats_.ops_submitted;
      driver_.submit(op);
      return false;
    }
    if (marks & op_mark::listed) [[unlikely]] {  // (book_submit)
      (op.fd_prev ? op.fd_prev->fd_next : r->ops) = op.fd_next;
      if (op.fd_next) op.fd_next->fd_prev = op.fd_prev;
      op.fd_prev = op.fd_next = nullptr;
      op.marks = marks & ~op_mark::listed;
    }
    if (--r->in_flight == 0 && r->close_queued) [[unlikely]] start_close(*r);
    return static_cast<bool>(op.handle);
  }
  /// Resumes the waiters of the operations completed so far (see runtime.cpp). Called up to
  /// three times a turn, mostly with nothing to do: that check stays inline.
  void collect() noexcept {
    if (!completed_.empty()) collect_now();
  }
  void collect_now() noexcept;
  /// The coroutine to run for n, entering its scope (see scheduler.hpp's enter()).
  std::coroutine_handle<> enter(ready_node& n) noexcept {
    task_ctx* ctx = n.ctx;
    if (ctx) {
      if (ctx->cancel_requested) [[unlikely]] return enter_cancelled(n);
      ctx->clear_leaf();  // the leaf that was recorded has finished
    }
    tls_ctx = ctx;
    return n.handle;
  }
  std::coroutine_handle<> enter_cancelled(ready_node& n) noexcept;
  void queue_unwind(task_ctx& ctx) noexcept;
  /// Queues a leaf's waiter whose wait is over (a timer fired, a joined task finished, a close
  /// completed). Its scope's hook goes at once: a cancel arriving before the waiter runs must
  /// not queue the node a second time (it only marks the scope; enter() then unwinds it).
  void wake(ready_node& n) noexcept {
    if (n.ctx) n.ctx->clear_leaf();
    ready_.push(n);
  }

  // ---- tasks (spawn.cpp) ----
  void launch(spawn_state& s, std::coroutine_handle<> frame) noexcept;
  void finish(spawn_state& s) noexcept;
  void cancel_task(spawn_state& s) noexcept;
  void kill_now(spawn_state& s) noexcept;
  void cancel_all_tasks() noexcept;

  // ---- buffer pools (buffer_pool.cpp) ----
  void adopt_pool(pool_state& p) noexcept;
  void forget_pool(pool_state& p) noexcept;
  void give_back_buffer(pool_state& p, buffer_id id) noexcept;  ///< a native pool's (driver.hpp)
  void detach_all_pools() noexcept;
  /// A pooled read came back with -ENOBUFS (data waits, the pool is empty): parks it on its
  /// pool, in flight, and returns true; false (op.result then -ECANCELED) when its descriptor,
  /// scope or runtime is going away. `booked`: it was in flight (on_completed), not finished
  /// inside submit (finish_inline).
  [[gnu::noinline]] bool park_for_buffer(op_base& op, bool booked) noexcept;
  /// Submits a parked pooled read again, with buffer `id` reserved for it.
  void hand_buffer(recv_pooled_op& op, buffer_id id) noexcept;
  void cancel_buffer_wait(op_base& op) noexcept;

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
  pool_state* pools_ = nullptr;
  runtime_stats stats_;
  std::coroutine_handle<> root_;  ///< block_on's task: the loop must not sleep once it is done
  /// Turns that ran ready tasks without polling the driver (see turn()).
  static constexpr unsigned max_turns_without_poll = 16;
  unsigned turns_without_poll_ = 0;
  /// Operations finished inside submit (finish_inline) between two polls of the driver: past
  /// it, one more goes through the driver's queue and its waiter suspends, so a stream that
  /// always has data (or room) cannot hold the loop from polling, firing timers and resuming
  /// the others for more than this many operations. Refilled at each poll.
  static constexpr unsigned inline_completions_per_poll = 128;
  unsigned inline_budget_ = inline_completions_per_poll;
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
