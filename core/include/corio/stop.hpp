// corio::stop_source / stop_token: asking tasks to stop, as opposed to cancelling them. A task
// that can stop cleanly at some points (a server connection between two requests) awaits
// token.wait() there, raced against its work with when_any; a request then ends those waits at
// once while work in progress finishes on its own. task_group has one (request_stop()), which
// its shutdown() uses before it cancels anything.
//
// Loop-thread only: request_stop() and the waits belong to one runtime's tasks. Waiting costs
// no allocation (the waiter lives in the awaiting frame) and is cancellable (timeout, when_any,
// task cancellation): a cancelled wait leaves nothing behind.
#pragma once

#include <corio/detail/context.hpp>

#include <coroutine>
#include <memory>

namespace corio {

namespace detail {

struct stop_waiter {
  ready_node node;
  stop_waiter* prev = nullptr;
  stop_waiter* next = nullptr;
};

struct stop_state {
  bool requested = false;
  stop_waiter* head = nullptr;

  /// Marks the state stopped and wakes every waiter, in the order they started waiting.
  void request() noexcept;
  void link(stop_waiter& w) noexcept;
  void unlink(stop_waiter& w) noexcept;
};

/// Suspends until stop is requested. Trivially destructible (GCC 12 may destroy a co_await
/// operand's temporaries twice): it holds the state by pointer, kept alive by the token.
class stop_wait_awaiter {
 public:
  explicit stop_wait_awaiter(stop_state* st) noexcept : st_(st) {}
  bool await_ready() const noexcept { return st_ && st_->requested; }
  bool await_suspend(std::coroutine_handle<> h) noexcept;
  void await_resume() const noexcept {}

 private:
  stop_state* st_;
  stop_waiter waiter_;
};

}  // namespace detail

/// A view of a stop_source: can tell whether stop was requested, and wait for it. Copyable;
/// keeps the shared state alive. A default-constructed token never stops.
class stop_token {
 public:
  stop_token() noexcept = default;
  explicit stop_token(std::shared_ptr<detail::stop_state> st) noexcept : st_(std::move(st)) {}

  bool stop_requested() const noexcept { return st_ && st_->requested; }
  /// Awaitable (void): completes when stop is requested, at once if it already was. The token
  /// must stay alive until the wait ends (a named token, or a temporary of the same co_await
  /// expression). Compose it: `co_await corio::when_any(stream.read(buf), token.wait())`.
  detail::stop_wait_awaiter wait() const noexcept { return detail::stop_wait_awaiter(st_.get()); }

 private:
  std::shared_ptr<detail::stop_state> st_;
};

/// Owns a stop request: request_stop() ends every token's waits (now and later).
class stop_source {
 public:
  stop_source() : st_(std::make_shared<detail::stop_state>()) {}

  /// Requests stop: wakes every task waiting on a token of this source. Idempotent.
  void request_stop() noexcept { st_->request(); }
  bool stop_requested() const noexcept { return st_->requested; }
  stop_token token() const noexcept { return stop_token(st_); }

 private:
  std::shared_ptr<detail::stop_state> st_;
};

}  // namespace corio
