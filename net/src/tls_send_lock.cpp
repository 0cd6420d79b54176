// The send lock of a TLS session: one task at a time sends ciphertext; the others wait in
// order. Cancellation-safe: a waiter that is cancelled leaves the queue, and a holder whose
// frame is destroyed hands the lock on (and, if it was cut mid-record, marks the stream).
#include "net/src/tls_session.hpp"

namespace corio::net::detail {

using guard = tls_session::send_guard;

bool guard::acquire_awaiter::await_ready() const noexcept {
  tls_session& s = g->s_;
  if (s.sending_) return false;
  s.sending_ = true;
  g->held_ = true;
  return true;
}

bool guard::acquire_awaiter::await_suspend(std::coroutine_handle<> h) noexcept {
  g->node_.handle = h;
  g->node_.ctx = corio::detail::tls_ctx;
  if (corio::detail::unwind_if_cancelled(g->node_)) return true;
  tls_session& s = g->s_;
  g->queued_ = true;
  g->next_ = nullptr;
  (s.waiters_tail_ ? s.waiters_tail_->next_ : s.waiters_) = g;
  s.waiters_tail_ = g;
  if (g->node_.ctx) {
    g->node_.ctx->set_hook(
        [](void* arg) noexcept {
          auto* self = static_cast<guard*>(arg);
          self->s_.unqueue(*self);
          corio::detail::schedule(self->node_);  // the scope then unwinds without resuming it
        },
        g);
  }
  return true;
}

void guard::grant() noexcept {
  queued_ = false;
  held_ = true;
  // Granted: a cancel arriving before the loop resumes us must not schedule us twice; the
  // scope unwinds at resumption instead and this guard hands the lock on.
  if (node_.ctx && node_.ctx->hook_arg == this) node_.ctx->hook = nullptr;
  corio::detail::schedule(node_);
}

guard::~send_guard() {
  if (queued_) s_.unqueue(*this);
  if (!held_) return;
  if (dirty_ || s_.send_in_flight_) s_.write_broken_ = true;  // a record may be half sent
  s_.send_in_flight_ = false;
  s_.release_send();
}

void tls_session::unqueue(send_guard& g) noexcept {
  send_guard* prev = nullptr;
  for (send_guard* it = waiters_; it; prev = it, it = it->next_) {
    if (it != &g) continue;
    (prev ? prev->next_ : waiters_) = it->next_;
    if (waiters_tail_ == it) waiters_tail_ = prev;
    break;
  }
  g.queued_ = false;
  g.next_ = nullptr;
}

void tls_session::release_send() noexcept {
  send_guard* next = waiters_;
  if (!next) {
    sending_ = false;
    return;
  }
  waiters_ = next->next_;
  if (!waiters_) waiters_tail_ = nullptr;
  next->next_ = nullptr;
  next->grant();  // sending_ stays true: the lock passes straight on
}

}  // namespace corio::net::detail
