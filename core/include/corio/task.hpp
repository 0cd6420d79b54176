// corio::task<T>: a lazy, move-only coroutine. Awaiting a task starts it; its result (or the
// exception it threw) is handed to the awaiter. Resumption uses symmetric transfer, bounded by
// detail::transfer(): deep chains of co_await, and loops of ones that finish at once, do not
// overflow the stack even where the compiler makes the transfer a real call.
#pragma once

#include <corio/detail/frame_pool.hpp>
#include <corio/detail/transfer.hpp>

#include <coroutine>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

namespace corio {

template <class T = void>
class task;

namespace detail {

struct task_promise_base : pooled {  // frames come from the per-thread frame pool
  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) noexcept {
      auto& p = self.promise();
      if (p.on_final_) return transfer(p.on_final_(p.on_final_arg_));
      return p.continuation_ ? transfer(p.continuation_) : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { error_ = std::current_exception(); }

  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

  std::coroutine_handle<> continuation_;
  /// Instead of a continuation, a function deciding what runs next (used by timeout() and
  /// when_any() to leave a branch's scope).
  std::coroutine_handle<> (*on_final_)(void*) noexcept = nullptr;
  void* on_final_arg_ = nullptr;
  std::exception_ptr error_;
};

template <class T>
struct task_promise final : task_promise_base {
  task<T> get_return_object() noexcept;

  template <class U = T>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    ::new (static_cast<void*>(&storage_)) T(std::forward<U>(value));
    has_value_ = true;
  }

  T take() {
    rethrow_if_failed();
    return std::move(*std::launder(reinterpret_cast<T*>(&storage_)));
  }

  ~task_promise() {
    if (has_value_) std::launder(reinterpret_cast<T*>(&storage_))->~T();
  }

  alignas(T) unsigned char storage_[sizeof(T)];
  bool has_value_ = false;
};

template <>
struct task_promise<void> final : task_promise_base {
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() { rethrow_if_failed(); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;

  task() noexcept = default;
  explicit task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { reset(); }

  /// True while this object owns a coroutine.
  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

  auto operator co_await() && noexcept {
    struct awaiter {
      std::coroutine_handle<promise_type> handle;
      bool await_ready() const noexcept { return !handle || handle.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        handle.promise().continuation_ = caller;
        return transfer(handle);
      }
      T await_resume() { return handle.promise().take(); }
    };
    return awaiter{handle_};
  }
  auto operator co_await() & noexcept { return std::move(*this).operator co_await(); }

  /// The promise (the task must be non-empty).
  promise_type& promise() const noexcept { return handle_.promise(); }
  std::coroutine_handle<promise_type> handle() const noexcept { return handle_; }

  /// Gives up ownership of the coroutine (used by spawn and the runtime).
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(handle_, {}); }

 private:
  void reset() noexcept {
    if (handle_) std::exchange(handle_, {}).destroy();
  }
  std::coroutine_handle<promise_type> handle_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}
}  // namespace detail

}  // namespace corio
