// channel<T>'s untyped half: parking the receiver and waking it on its own runtime.
#include <corio/channel.hpp>

#include "core/src/runtime_state.hpp"

namespace corio::detail {

void channel_core::notify_locked() {
  runtime_state* rt = notify_rt_;
  if (!rt) return;  // nobody parked, or a wake is already on its way
  notify_rt_ = nullptr;
  // Under mutex_: the parked receiver cannot unpark (and its runtime cannot be destroyed) until
  // this returns. post() takes the runtime's inbox lock, never ours: no lock-order cycle.
  rt->post([self = shared_from_this(), g = waiter_->generation] { self->wake_on_loop(g); });
}

bool channel_core::park_locked(waiter& w) noexcept {
  if (waiter_ && waiter_ != &w) return false;
  waiter_ = &w;
  notify_rt_ = w.rt;
  w.generation = ++parkings_;
  return true;
}

bool channel_core::unpark(waiter& w) noexcept {
  std::lock_guard lock(mutex_);
  if (waiter_ != &w) return false;
  waiter_ = nullptr;
  notify_rt_ = nullptr;
  return true;
}

void channel_core::wake_on_loop(std::uint64_t generation) noexcept {
  waiter* w = nullptr;
  {
    std::lock_guard lock(mutex_);
    // Only a receiver of this runtime: a stale wake must not touch one parked elsewhere since.
    if (!waiter_ || waiter_->generation != generation || waiter_->rt != tls_runtime) return;
    w = waiter_;
    waiter_ = nullptr;
    notify_rt_ = nullptr;
  }
  schedule(w->node);  // same thread as w's frame: it cannot be destroyed before this
}

void channel_core::hook_cancel(waiter& w) noexcept {
  if (!w.node.ctx) return;
  w.node.ctx->set_hook(
      [](void* arg) noexcept {
        auto* w = static_cast<waiter*>(arg);
        if (w->core->unpark(*w)) {  // else a wake already scheduled it: the value wins
          w->cancelled = true;
          schedule(w->node);
        }
      },
      &w);
}

}  // namespace corio::detail
