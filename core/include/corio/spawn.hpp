// corio::spawn: runs a task concurrently on the current runtime; join_handle<T> awaits it.
#pragma once

#include <corio/detail/awaitable.hpp>
#include <corio/detail/scheduler.hpp>
#include <corio/result.hpp>
#include <corio/task.hpp>

#include <cerrno>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace corio {

namespace detail {

/// The shared state of a spawned task: its scope, its outcome, and who waits for it. Owned
/// jointly by the running task and its join_handle.
struct spawn_state {
  task_ctx ctx;
  ready_node start;                  ///< queued to start the task
  std::coroutine_handle<> frame;     ///< the wrapper coroutine (destroyed on kill)
  ready_node* joiner = nullptr;      ///< a join awaiter waiting for completion
  runtime_state* rt = nullptr;
  spawn_state* live_prev = nullptr;  ///< the runtime's list of live tasks
  spawn_state* live_next = nullptr;
  std::exception_ptr error;
  unsigned refs = 2;                 ///< the task and its join_handle
  bool finished = false;
  bool cancelled = false;            ///< killed before finishing
  void (*free)(spawn_state*) noexcept = nullptr;

  void release() noexcept {
    if (--refs == 0) free(this);
  }
};

template <class T>
struct typed_spawn_state : spawn_state, pooled {
  std::optional<T> value;
};
template <>
struct typed_spawn_state<void> : spawn_state, pooled {};

/// Registers a new spawned task with the runtime and queues its start. Throws
/// std::system_error(errc::no_runtime) without a running runtime.
void launch(spawn_state& s, std::coroutine_handle<> frame);
/// Called by the wrapper when the task finished (normally or with an exception).
void finish(spawn_state& s) noexcept;
/// join_handle::cancel.
void cancel_spawned(spawn_state& s) noexcept;

/// The wrapper coroutine of a spawned task: frees itself at its end.
struct spawned_coro {
  struct promise_type : pooled {
    spawned_coro get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<promise_type> handle;
};

template <class T>
spawned_coro run_spawned(task<T> t, typed_spawn_state<T>* s) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
    } else {
      s->value.emplace(co_await std::move(t));
    }
  } catch (...) {
    s->error = std::current_exception();
  }
  finish(*s);
}

}  // namespace detail

/// Handle to a spawned task. Dropping it detaches the task (it keeps running).
template <class T>
class [[nodiscard]] join_handle {
 public:
  join_handle() noexcept = default;
  explicit join_handle(detail::typed_spawn_state<T>* s) noexcept : state_(s) {}
  join_handle(join_handle&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      detach();
      state_ = std::exchange(o.state_, nullptr);
    }
    return *this;
  }
  ~join_handle() { detach(); }

  /// Cancels the task: the operation it waits on is cancelled, and once the kernel has let go
  /// of its buffers the task's frames are destroyed (its handles close). Awaiting the handle
  /// then yields ECANCELED.
  void cancel() noexcept {
    if (state_) detail::cancel_spawned(*state_);
  }
  /// Lets the task run on without a handle.
  void detach() noexcept {
    if (state_) std::exchange(state_, nullptr)->release();
  }
  bool finished() const noexcept { return state_ && state_->finished; }

  /// Waits for the task: its value, ECANCELED if it was cancelled; its exception is rethrown.
  /// Only one awaiter at a time.
  auto operator co_await() noexcept {
    struct awaiter {
      detail::typed_spawn_state<T>* s;
      detail::ready_node node;
      bool await_ready() const noexcept { return !s || s->finished; }
      bool await_suspend(std::coroutine_handle<> h) noexcept {
        node.handle = h;
        node.ctx = detail::tls_ctx;
        if (detail::unwind_if_cancelled(node)) return true;
        s->joiner = &node;
        if (node.ctx) {
          node.ctx->set_hook(
              [](void* arg) noexcept {
                auto* self = static_cast<awaiter*>(arg);
                self->s->joiner = nullptr;
                detail::schedule(self->node);
              },
              this);
        }
        return true;
      }
      result<T> await_resume() {
        if (!s) return fail(errc::closed_handle);
        if (!s->finished) return fail_errno(ECANCELED);  // the awaiting task was cancelled
        if (s->cancelled) return fail_errno(ECANCELED);
        if (s->error) std::rethrow_exception(s->error);
        if constexpr (std::is_void_v<T>) {
          return {};
        } else {
          return std::move(*s->value);
        }
      }
    };
    return awaiter{state_, {}};
  }

 private:
  detail::typed_spawn_state<T>* state_ = nullptr;
};

/// Starts t on the current runtime (must be called on a thread running one).
template <class T>
join_handle<T> spawn(task<T> t) {
  auto* s = new detail::typed_spawn_state<T>();
  s->free = [](detail::spawn_state* p) noexcept { delete static_cast<detail::typed_spawn_state<T>*>(p); };
  auto coro = detail::run_spawned(std::move(t), s);
  try {
    detail::launch(*s, coro.handle);
  } catch (...) {
    coro.handle.destroy();
    delete s;
    throw;
  }
  return join_handle<T>(s);
}

/// Starts any awaitable (an I/O operation, a timeout(...)) as a task of its own.
template <class A>
  requires(!requires { typename std::remove_cvref_t<A>::promise_type; })
auto spawn(A&& awaitable) {
  return spawn(detail::as_task(std::forward<A>(awaitable)));
}

}  // namespace corio
