// What awaiters call: starting and cancelling operations, queuing and entering coroutines.
#include "core/src/runtime_state.hpp"

#include <cerrno>
#include <netdb.h>
#include <type_traits>
#include <unistd.h>
#include <utility>

namespace corio::detail {

std::error_code op_error(int res) noexcept {
  if (res <= -errc_result_base) return make_error_code(static_cast<errc>(-res - errc_result_base));
  return errno_code(-res);
}

clock::time_point now() noexcept { return clock::now(); }

void schedule(ready_node& n) noexcept { tls_runtime->wake(n); }

void bounce(std::coroutine_handle<> h) noexcept { tls_runtime->bounced_.push_back({h, tls_ctx}); }

void arm_timer(timer_entry& t) {
  tls_runtime->timers_.arm(t);
}
void disarm_timer(timer_entry& t) noexcept {
  if (t.armed()) tls_runtime->timers_.disarm(t);
}

bool unwind_if_cancelled(ready_node& n) noexcept {
  task_ctx* ctx = n.ctx;
  if (!ctx || !ctx->cancel_requested) return false;
  tls_runtime->queue_unwind(*ctx);
  return true;
}

std::coroutine_handle<> enter(ready_node& n) noexcept { return tls_runtime->enter(n); }

void cancel_leaf(op_base& op) noexcept { tls_runtime->cancel(op); }

namespace {
// Why op cannot start here (no runtime, another runtime's descriptor, a closed one).
[[gnu::noinline]] bool refuse(op_base& op, runtime_state* rt) noexcept {
  if (!rt) {
    op.result = errc_result(errc::no_runtime);
  } else if (op.fd->rt != rt) {
    op.result = errc_result(op.fd->rt ? errc::wrong_runtime : errc::runtime_gone);
  } else {
    op.result = errc_result(errc::closed_handle);
  }
  return false;
}

template <class Op>
bool start(Op& op, std::coroutine_handle<> waiter) noexcept {
  // A stream operation's awaiter never starts without a descriptor (it fails at once with
  // closed_handle): the compiler may drop the null tests on the typed paths.
  if constexpr (!std::is_same_v<Op, op_base>) {
    if (!op.fd) __builtin_unreachable();
  }
  runtime_state* rt = tls_runtime;
  task_ctx* ctx = tls_ctx;
  op.handle = waiter;
  op.ctx = ctx;
  op.op = &op;
  if (!rt || (op.fd && (op.fd->rt != rt || op.fd->close_queued))) [[unlikely]] return refuse(op, rt);
  if (ctx && ctx->cancel_requested) [[unlikely]] {
    rt->queue_unwind(*ctx);
    return true;
  }
  if constexpr (runtime_state::completes_inline) {
    if (rt->finish_inline(op)) return false;
  } else {
    rt->submit(op);
  }
  if (ctx) ctx->set_leaf(op);
  return true;
}
}  // namespace

bool start_op(op_base& op, std::coroutine_handle<> waiter) noexcept { return start(op, waiter); }
bool start_op(recv_op& op, std::coroutine_handle<> waiter) noexcept { return start(op, waiter); }
bool start_op(send_op& op, std::coroutine_handle<> waiter) noexcept { return start(op, waiter); }
bool start_op(recv_pooled_op& op, std::coroutine_handle<> waiter) noexcept { return start(op, waiter); }

// ---- runtime_state members ----

void runtime_state::cancel(op_base& op) noexcept {
  if (op.state != op_state::in_flight) return;
  if (op.marks & op_mark::pool_wait) [[unlikely]] return cancel_buffer_wait(op);  // in no driver
  op.state = op_state::canceling;
  driver_.cancel(op);
}

void runtime_state::queue_unwind(task_ctx& ctx) noexcept {
  if (ctx.unwind_queued) return;
  ctx.unwind_queued = true;
  ctx.unwind_node.ctx = &ctx;
  to_unwind_.push(ctx.unwind_node);
}

// A scope whose cancel was asked while its leaf was pending.
std::coroutine_handle<> runtime_state::enter_cancelled(ready_node& n) noexcept {
  task_ctx* ctx = n.ctx;
  ctx->clear_leaf();
  const bool has_value = n.op && n.op->state == op_state::done && n.op->result >= 0;
  if (has_value && !ctx->unwind_on_resume) {
    // Data wins: an operation that completed anyway is delivered to the branch, which is
    // unwound at its next suspension.
    tls_ctx = ctx;
    return n.handle;
  }
  // Nobody will receive what this operation produced: a new descriptor is closed here,
  // for every operation that yields one, on every driver; so is a resolver's list freed.
  if (has_value && n.op->yields_fd) {
    ::close(n.op->result);
    n.op->result = -ECANCELED;
  } else if (has_value && n.op->kind == op_kind::getaddrinfo) {
    auto& lookup = *static_cast<getaddrinfo_op*>(n.op);
    ::freeaddrinfo(std::exchange(lookup.out, nullptr));
    lookup.result = -ECANCELED;
  }
  queue_unwind(*ctx);
  return std::noop_coroutine();
}

}  // namespace corio::detail
