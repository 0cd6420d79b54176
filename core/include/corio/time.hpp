// Time: sleep_for, sleep_until, yield_now, and timeout() that really cancels what it wraps.
#pragma once

#include <corio/detail/awaitable.hpp>
#include <corio/detail/scheduler.hpp>
#include <corio/result.hpp>
#include <corio/task.hpp>

#include <cerrno>
#include <chrono>
#include <type_traits>
#include <utility>

namespace corio {

namespace detail {

/// Suspends until a deadline; cancellation ends the wait early.
class sleep_awaiter {
 public:
  explicit sleep_awaiter(clock::time_point deadline) noexcept { timer_.deadline = deadline; }
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    node_.handle = h;
    node_.ctx = tls_ctx;
    if (unwind_if_cancelled(node_)) return true;
    timer_.owner = this;
    timer_.fire = [](timer_entry* t) noexcept { schedule(static_cast<sleep_awaiter*>(t->owner)->node_); };
    arm_timer(timer_);
    if (node_.ctx) {
      node_.ctx->set_hook(
          [](void* arg) noexcept {
            auto* self = static_cast<sleep_awaiter*>(arg);
            disarm_timer(self->timer_);
            schedule(self->node_);
          },
          this);
    }
    return true;
  }
  void await_resume() const noexcept {}

 private:
  timer_entry timer_;
  ready_node node_;
};

struct yield_awaiter {
  ready_node node;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    node.handle = h;
    node.ctx = tls_ctx;
    if (!unwind_if_cancelled(node)) schedule(node);
    return true;
  }
  void await_resume() const noexcept {}
};

/// What timeout() yields for an awaitable producing T: result<U> stays, others are wrapped.
template <class T>
using timeout_result_t =
    std::conditional_t<is_result<T>::value, T, result<std::conditional_t<std::is_void_v<T>, void, T>>>;

/// Runs a body task in a child scope of the awaiting task, racing a timer that cancels it.
template <class T>
class timeout_awaiter {
 public:
  using output = timeout_result_t<T>;

  timeout_awaiter(task<T> body, clock::time_point deadline) noexcept : body_(std::move(body)) {
    timer_.deadline = deadline;
  }

  bool await_ready() const noexcept { return false; }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    parent_.handle = h;
    parent_.ctx = tls_ctx;
    if (unwind_if_cancelled(parent_)) return std::noop_coroutine();
    scope_.owner = this;
    scope_.unwind = [](task_ctx* ctx) noexcept {
      // The body was cancelled and then tried to suspend again: drop its frames, resume us.
      auto* self = static_cast<timeout_awaiter*>(ctx->owner);
      self->unwound_ = true;
      self->body_ = task<T>{};
      disarm_timer(self->timer_);
      enter(self->parent_).resume();
    };
    timer_.owner = this;
    timer_.fire = [](timer_entry* t) noexcept {
      auto* self = static_cast<timeout_awaiter*>(t->owner);
      self->fired_ = true;
      self->scope_.cancel();
    };
    arm_timer(timer_);
    if (parent_.ctx) {
      parent_.ctx->set_hook([](void* arg) noexcept { static_cast<timeout_awaiter*>(arg)->scope_.cancel(); },
                            this);
    }
    auto& p = body_.promise();
    p.on_final_ = [](void* arg) noexcept -> std::coroutine_handle<> {
      auto* self = static_cast<timeout_awaiter*>(arg);
      disarm_timer(self->timer_);
      return enter(self->parent_);
    };
    p.on_final_arg_ = this;
    tls_ctx = &scope_;
    return transfer(body_.handle());
  }

  output await_resume() {
    if (unwound_) return fired_ ? fail(errc::timed_out) : fail_errno(ECANCELED);
    if constexpr (std::is_void_v<T>) {
      body_.promise().take();
      if (fired_) return fail(errc::timed_out);
      return {};
    } else if constexpr (is_result<T>::value) {
      T value = body_.promise().take();
      // Data wins: an operation that completed despite the cancel keeps its result.
      if (fired_ && !value) return fail(errc::timed_out);
      return value;
    } else {
      T value = body_.promise().take();
      if (fired_) return fail(errc::timed_out);
      return output(std::move(value));
    }
  }

 private:
  task<T> body_;
  task_ctx scope_;
  timer_entry timer_;
  ready_node parent_;
  bool fired_ = false;
  bool unwound_ = false;
};

}  // namespace detail

/// Suspends the calling task for at least d. Ends early if the task is cancelled.
inline detail::sleep_awaiter sleep_for(std::chrono::nanoseconds d) noexcept {
  return detail::sleep_awaiter(detail::now() + d);
}
/// Suspends the calling task until t (steady clock).
inline detail::sleep_awaiter sleep_until(std::chrono::steady_clock::time_point t) noexcept {
  return detail::sleep_awaiter(t);
}
/// Lets every other ready task run once before the caller continues.
inline detail::yield_awaiter yield_now() noexcept { return {}; }

/// Awaits `a` for at most d. On expiry the operation underneath is cancelled, and once the
/// kernel has let go of its buffers the result is errc::timed_out — unless the operation
/// completed anyway with a value (a read that got data): then the value is returned.
template <class A>
auto timeout(std::chrono::nanoseconds d, A&& a) {
  using T = detail::await_result_t<A>;
  return detail::timeout_awaiter<T>(detail::as_task(std::forward<A>(a)), detail::now() + d);
}
template <class T>
auto timeout(std::chrono::nanoseconds d, task<T> t) {
  return detail::timeout_awaiter<T>(std::move(t), detail::now() + d);
}

}  // namespace corio
