// The calls awaiters make into the running runtime. Implemented in core/src; every function
// acts on this thread's runtime (tls_runtime) and must be called from the loop thread.
#pragma once

#include <corio/detail/ops.hpp>
#include <corio/result.hpp>

#include <coroutine>

namespace corio::detail {

/// op.result values below -errc_result_base carry a corio::errc rather than an errno.
constexpr int errc_result_base = 1 << 20;
constexpr int errc_result(errc e) noexcept { return -(errc_result_base + static_cast<int>(e)); }

/// The error_code for a negative operation result (-errno, or a corio errc as above).
std::error_code op_error(int res) noexcept;

/// Starts op for `waiter`. Returns false when op completed at once (op.result is final: no
/// runtime, a closed descriptor); true when the waiter is suspended.
bool start_op(op_base& op, std::coroutine_handle<> waiter) noexcept;
/// The same for the stream operations a server runs per message, typed by the operation: the
/// driver prepares them inline (no switch over the kind, no chain of calls). Overload
/// resolution picks these for op_awaiter<recv_op> and <send_op> (read, write, write_all...).
/// op.fd must not be null (those awaiters fail at once without a descriptor).
bool start_op(recv_op& op, std::coroutine_handle<> waiter) noexcept;
bool start_op(send_op& op, std::coroutine_handle<> waiter) noexcept;
struct recv_pooled_op;
bool start_op(recv_pooled_op& op, std::coroutine_handle<> waiter) noexcept;  ///< (read_pooled)

/// Queues n to be resumed by the loop.
void schedule(ready_node& n) noexcept;

/// Called by every leaf before it suspends. If the scope of n is cancelled, queues the scope
/// to be unwound and returns true: the leaf must then suspend without starting anything.
bool unwind_if_cancelled(ready_node& n) noexcept;

/// The coroutine to run for n, entering its scope; a no-op handle if the scope is being unwound
/// (a spawned task cancelled while n's leaf was pending). Then a descriptor that n's operation
/// produced is closed here: one place for every operation that yields one.
std::coroutine_handle<> enter(ready_node& n) noexcept;

void arm_timer(timer_entry& t);
void disarm_timer(timer_entry& t) noexcept;
clock::time_point now() noexcept;

}  // namespace corio::detail
