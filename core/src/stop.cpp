#include <corio/detail/scheduler.hpp>
#include <corio/stop.hpp>

#include <utility>

namespace corio::detail {

void stop_state::link(stop_waiter& w) noexcept {
  // Appended at the tail (FIFO wake order); the list is short-lived, a walk to the tail is
  // avoided by keeping the newest at head->prev.
  w.next = nullptr;
  if (!head) {
    w.prev = &w;
    head = &w;
    return;
  }
  stop_waiter* tail = head->prev;
  tail->next = &w;
  w.prev = tail;
  head->prev = &w;
}

void stop_state::unlink(stop_waiter& w) noexcept {
  if (&w == head) {
    head = w.next;
    if (head) head->prev = w.prev;
  } else {
    w.prev->next = w.next;
    (w.next ? w.next->prev : head->prev) = w.prev;
  }
  w.prev = w.next = nullptr;
}

void stop_state::request() noexcept {
  if (requested) return;
  requested = true;
  while (stop_waiter* w = head) {
    unlink(*w);
    schedule(w->node);
  }
}

bool stop_wait_awaiter::await_suspend(std::coroutine_handle<> h) noexcept {
  waiter_.node.handle = h;
  waiter_.node.ctx = tls_ctx;
  if (unwind_if_cancelled(waiter_.node)) return true;
  if (!st_) {  // a token that never stops: only a cancel ends this wait
    if (waiter_.node.ctx) {
      waiter_.node.ctx->set_hook([](void* arg) noexcept { schedule(static_cast<stop_wait_awaiter*>(arg)->waiter_.node); },
                                 this);
    }
    return true;
  }
  st_->link(waiter_);
  if (waiter_.node.ctx) {
    waiter_.node.ctx->set_hook(
        [](void* arg) noexcept {
          auto* self = static_cast<stop_wait_awaiter*>(arg);
          self->st_->unlink(self->waiter_);
          schedule(self->waiter_.node);
        },
        this);
  }
  return true;
}

}  // namespace corio::detail
