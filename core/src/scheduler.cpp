// What awaiters call: starting and cancelling operations, queuing and entering coroutines.
#include "core/src/runtime_state.hpp"

#include <cerrno>
#include <netdb.h>
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

bool start_op(op_base& op, std::coroutine_handle<> waiter) noexcept {
  runtime_state* rt = tls_runtime;
  op.handle = waiter;
  op.ctx = tls_ctx;
  op.op = &op;
  if (!rt) {
    op.result = errc_result(errc::no_runtime);
    return false;
  }
  if (op.fd) {
    if (op.fd->rt != rt) {
      op.result = errc_result(op.fd->rt ? errc::wrong_runtime : errc::runtime_gone);
      return false;
    }
    if (op.fd->close_queued) {
      op.result = errc_result(errc::closed_handle);
      return false;
    }
  }
  if (unwind_if_cancelled(op)) return true;
  rt->submit(op);
  if (op.ctx) {
    op.ctx->set_hook([](void* arg) noexcept { tls_runtime->cancel(*static_cast<op_base*>(arg)); }, &op);
  }
  return true;
}

// ---- runtime_state members ----

void runtime_state::submit(op_base& op) noexcept {
  op.state = op_state::in_flight;
  op.result = 0;
  if (op.fd && op.kind != op_kind::close) {
    fd_record& r = *op.fd;
    op.fd_prev = nullptr;
    op.fd_next = r.ops;
    if (r.ops) r.ops->fd_prev = &op;
    r.ops = &op;
    ++r.in_flight;
  }
  ++stats_.ops_submitted;
  driver_.submit(op);
}

void runtime_state::cancel(op_base& op) noexcept {
  if (op.state != op_state::in_flight) return;
  op.state = op_state::canceling;
  driver_.cancel(op);
}

void runtime_state::on_completed(op_base& op) noexcept {
  op.state = op_state::done;
  ++stats_.ops_completed;
  fd_record* r = op.fd;
  if (op.kind == op_kind::close && r && &op == &r->closer) {
    on_closed(*r);
    return;
  }
  // A looping operation (write_all, read_exact) goes on where it left off: still linked to its
  // descriptor, straight back to the driver. Not once the descriptor's close has been asked for.
  if (op.go_on && !(r && r->close_queued) && op.go_on(op)) {
    op.state = op_state::in_flight;
    ++stats_.ops_submitted;
    driver_.submit(op);
    return;
  }
  if (r) {
    (op.fd_prev ? op.fd_prev->fd_next : r->ops) = op.fd_next;
    if (op.fd_next) op.fd_next->fd_prev = op.fd_prev;
    op.fd_prev = op.fd_next = nullptr;
    if (--r->in_flight == 0 && r->close_queued) start_close(*r);
  }
  if (op.handle) {
    ready_.push(op);
  }
}

void runtime_state::queue_unwind(task_ctx& ctx) noexcept {
  if (ctx.unwind_queued) return;
  ctx.unwind_queued = true;
  ctx.unwind_node.ctx = &ctx;
  to_unwind_.push(ctx.unwind_node);
}

std::coroutine_handle<> runtime_state::enter(ready_node& n) noexcept {
  task_ctx* ctx = n.ctx;
  if (ctx) {
    ctx->hook = nullptr;  // the leaf that installed it has finished
    if (ctx->cancel_requested) {
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
  }
  tls_ctx = ctx;
  return n.handle;
}

}  // namespace corio::detail
