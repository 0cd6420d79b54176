// when_any / when_all: run several awaitables concurrently within the awaiting task.
// Each awaitable runs as a branch in its own cancellation scope. when_any cancels the losers
// as soon as one finishes and waits until every branch has let go of its buffers before it
// returns; a loser that completed anyway keeps its value (nothing is dropped). A branch's frame,
// and what it owns (a write half whose drop sends FIN), is released as soon as it finishes.
#pragma once

#include <corio/detail/scheduler.hpp>
#include <corio/result.hpp>
#include <corio/task.hpp>
#include <corio/time.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace corio {

template <class T>
using branch_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// What when_any yields: which branch finished first, and the value of every branch that
/// finished (the winner always; a loser only if it completed despite the cancellation).
template <class... T>
struct when_any_result {
  std::size_t index = 0;
  std::tuple<std::optional<branch_value_t<T>>...> values;

  template <std::size_t I>
  auto& get() {
    return *std::get<I>(values);
  }
};

namespace detail {

template <bool Any, class... T>
class when_awaiter {
  static constexpr std::size_t count = sizeof...(T);
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

  struct slot {
    when_awaiter* owner = nullptr;
    std::size_t index = 0;
    task_ctx scope;
    bool finished = false;  ///< ran to its end (its value is available)
    bool unwound = false;   ///< cancelled and destroyed before its end
  };

 public:
  explicit when_awaiter(task<T>... bodies) : bodies_(std::move(bodies)...) {}

  bool await_ready() const noexcept { return false; }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    parent_.handle = h;
    parent_.ctx = tls_ctx;
    if (unwind_if_cancelled(parent_)) return std::noop_coroutine();
    if (parent_.ctx) {
      parent_.ctx->set_hook([](void* arg) noexcept { static_cast<when_awaiter*>(arg)->cancel_all(); }, this);
    }
    starting_ = true;
    start(std::index_sequence_for<T...>{});
    starting_ = false;
    tls_ctx = parent_.ctx;
    if (remaining_ == 0) return transfer(enter(parent_));  // every branch finished without suspending
    return std::noop_coroutine();
  }

  auto await_resume() {
    using out = std::conditional_t<Any, when_any_result<T...>, std::tuple<branch_value_t<T>...>>;
    if (Any ? winner_ == none : unwound_any()) return result<out>(fail_errno(ECANCELED));
    rethrow_first_error(std::index_sequence_for<T...>{});
    if constexpr (Any) {
      when_any_result<T...> r;
      r.index = winner_;
      r.values = std::move(values_);  // a branch's slot is empty unless it finished
      return result<out>(std::move(r));
    } else {
      return result<out>(take_all(std::index_sequence_for<T...>{}));
    }
  }

 private:
  template <std::size_t... I>
  void start(std::index_sequence<I...>) noexcept {
    (start_one<I>(), ...);
  }

  template <std::size_t I>
  void start_one() noexcept {
    slot& s = slots_[I];
    s.owner = this;
    s.index = I;
    s.scope.owner = &s;
    s.scope.unwind = [](task_ctx* ctx) noexcept {
      auto* sl = static_cast<slot*>(ctx->owner);
      sl->owner->template drop<I>();
    };
    auto& p = std::get<I>(bodies_).promise();
    p.on_final_ = [](void* arg) noexcept -> std::coroutine_handle<> {
      auto* sl = static_cast<slot*>(arg);
      sl->owner->template harvest<I>();
      return sl->owner->on_branch_end(*sl);
    };
    p.on_final_arg_ = &s;
    if (Any && winner_ != none) {  // decided before this branch started: never run it
      drop<I>();
      return;
    }
    tls_ctx = &s.scope;
    std::get<I>(bodies_).handle().resume();
    tls_ctx = parent_.ctx;
  }

  /// Branch I ran to its end: keep its value (or exception) and free its frame now, not when
  /// the last branch ends (the frame is suspended at its final point: destroying it is allowed).
  template <std::size_t I>
  void harvest() noexcept {
    auto& body = std::get<I>(bodies_);
    auto& promise = body.promise();
    if (promise.error_) {
      errors_[I] = std::exchange(promise.error_, nullptr);
    } else if constexpr (std::is_void_v<std::tuple_element_t<I, std::tuple<T...>>>) {
      std::get<I>(values_).emplace();
    } else {
      std::get<I>(values_).emplace(promise.take());
    }
    body = {};
  }

  std::coroutine_handle<> on_branch_end(slot& s) noexcept {
    s.finished = true;
    --remaining_;
    if (Any && winner_ == none) {
      winner_ = s.index;
      for (slot& other : slots_) {
        if (&other != &s) other.scope.cancel();
      }
    }
    if (starting_ || remaining_ > 0) return std::noop_coroutine();
    return enter(parent_);
  }

  /// Branch I was cancelled and tried to suspend again (or never started): destroy its frames.
  template <std::size_t I>
  void drop() noexcept {
    slot& s = slots_[I];
    s.unwound = true;
    std::get<I>(bodies_) = task<std::tuple_element_t<I, std::tuple<T...>>>{};
    if (--remaining_ == 0 && !starting_) enter(parent_).resume();
  }

  void cancel_all() noexcept {
    for (slot& s : slots_) s.scope.cancel();
  }

  bool unwound_any() const noexcept {
    for (const slot& s : slots_) {
      if (s.unwound) return true;
    }
    return false;
  }

  template <std::size_t... I>
  void rethrow_first_error(std::index_sequence<I...>) {
    (rethrow_if<I>(), ...);
  }
  template <std::size_t I>
  void rethrow_if() {
    if (!slots_[I].finished) return;
    if (Any && I != winner_) return;  // a loser's exception is dropped with the loser
    if (errors_[I]) std::rethrow_exception(errors_[I]);
  }

  template <std::size_t... I>
  std::tuple<branch_value_t<T>...> take_all(std::index_sequence<I...>) {
    return std::tuple<branch_value_t<T>...>(std::move(*std::get<I>(values_))...);
  }

  std::tuple<task<T>...> bodies_;
  /// What each finished branch produced (harvest): its value, or the exception it threw.
  std::tuple<std::optional<branch_value_t<T>>...> values_;
  std::array<std::exception_ptr, count> errors_{};
  std::array<slot, count> slots_{};
  ready_node parent_;
  std::size_t remaining_ = count;
  std::size_t winner_ = none;
  bool starting_ = false;
};

template <class A>
auto to_task(A&& a) {
  if constexpr (requires { typename std::remove_cvref_t<A>::promise_type; }) {
    return std::forward<A>(a);
  } else {
    return as_task(std::forward<A>(a));
  }
}

}  // namespace detail

/// Awaits the first of several awaitables to finish; cancels the rest and waits for them to
/// let go. Yields result<when_any_result<...>>: ECANCELED only if the awaiting task itself was
/// cancelled before any branch finished.
template <class... A>
auto when_any(A&&... awaitables) {
  return detail::when_awaiter<true, detail::await_result_t<A>...>(detail::to_task(std::forward<A>(awaitables))...);
}

/// Awaits every awaitable, concurrently. Yields result<std::tuple<values...>> (void →
/// std::monostate); ECANCELED if the awaiting task was cancelled meanwhile.
template <class... A>
auto when_all(A&&... awaitables) {
  return detail::when_awaiter<false, detail::await_result_t<A>...>(detail::to_task(std::forward<A>(awaitables))...);
}

}  // namespace corio
