// The pieces every suspension point shares: the ready-queue node, the cancellation scope a
// coroutine runs in, and the timer entry. Backend-free; lives in coroutine frames.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace corio::detail {

class runtime_state;
struct op_base;
struct task_ctx;

using clock = std::chrono::steady_clock;

/// A coroutine waiting to be resumed by the run loop. Intrusive: no allocation to enqueue.
struct ready_node {
  ready_node* next = nullptr;
  std::coroutine_handle<> handle;
  task_ctx* ctx = nullptr;
  op_base* op = nullptr;  ///< set when the node is an operation (see runtime_state::enter)
};

/// Asks the driver to finish `op` early (scheduler.cpp): what cancelling a scope whose leaf is
/// an operation does.
void cancel_leaf(op_base& op) noexcept;

/// A cancellation scope: a spawned task, the root of block_on, or one branch of timeout() or
/// when_any(). A scope is suspended on at most one leaf at a time: an operation records itself
/// (cancel() asks the driver to finish it), any other leaf installs a hook that cancel() calls.
/// Touched only by the runtime's thread.
///
/// Cancellation asks the current leaf to finish early and waits for it (the buffer rule); then
/// the scope is unwound (its frames destroyed) without being resumed. One exception, in a
/// branch: an operation that completed anyway with a value is delivered (data wins) and the
/// branch is unwound at its next suspension.
struct task_ctx {
  using hook_fn = void (*)(void*) noexcept;
  using unwind_fn = void (*)(task_ctx*) noexcept;

  void cancel() noexcept {
    if (cancel_requested) return;
    cancel_requested = true;
    if (leaf) {
      cancel_leaf(*std::exchange(leaf, nullptr));
    } else if (hook) {
      auto fn = hook;
      hook = nullptr;
      fn(hook_arg);
    }
  }
  /// The leaf is an I/O operation: one store, paid by every operation; cancel() finds it here.
  void set_leaf(op_base& op) noexcept { leaf = &op; }
  /// Any other leaf (a timer, a join, a channel...): cancel() calls fn(arg).
  void set_hook(hook_fn fn, void* arg) noexcept {
    hook = fn;
    hook_arg = arg;
  }
  /// The leaf has finished, whichever kind it was (hook and leaf sit side by side: one store).
  void clear_leaf() noexcept {
    hook = nullptr;
    leaf = nullptr;
  }

  hook_fn hook = nullptr;
  op_base* leaf = nullptr;
  void* hook_arg = nullptr;
  bool cancel_requested = false;
  /// Spawned tasks: even an operation that completed with a value is not delivered.
  bool unwind_on_resume = false;
  bool unwind_queued = false;
  /// Destroys the scope's frames and finishes it (run by the loop, never re-entrantly).
  unwind_fn unwind = nullptr;
  void* owner = nullptr;  ///< what unwind() acts on (the spawn state, the timeout awaiter...)
  ready_node unwind_node;
};

/// An entry in the runtime's timer heap. Owned by the awaiter that armed it.
struct timer_entry {
  static constexpr std::size_t not_armed = static_cast<std::size_t>(-1);
  using fire_fn = void (*)(timer_entry*) noexcept;

  clock::time_point deadline{};
  std::size_t heap_index = not_armed;
  std::uint64_t sequence = 0;  ///< ties broken by arming order: equal deadlines fire FIFO
  fire_fn fire = nullptr;
  void* owner = nullptr;  ///< the awaiter that armed it, for fire()

  bool armed() const noexcept { return heap_index != not_armed; }
};

/// The running runtime and scope of this thread (null when none).
inline thread_local runtime_state* tls_runtime = nullptr;
inline thread_local task_ctx* tls_ctx = nullptr;

}  // namespace corio::detail
