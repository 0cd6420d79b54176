// corio::channel<T>: values from any thread to a task on one runtime (multi-producer, single
// consumer, unbounded). The way runtimes of a runtime_group pass work to each other.
#pragma once

#include <corio/detail/scheduler.hpp>
#include <corio/result.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace corio {

namespace detail {

/// The part of a channel that does not depend on T: the lock, the closed flag and the parked
/// receiver. core/src/channel.cpp.
class channel_core : public std::enable_shared_from_this<channel_core> {
 public:
  /// A receiver suspended in recv(): resumed on its own runtime's thread, never another's.
  struct waiter {
    ready_node node;
    runtime_state* rt = nullptr;
    channel_core* core = nullptr;
    std::uint64_t generation = 0;  ///< which parking this is: a wake meant for an earlier one is ignored
    bool cancelled = false;        ///< resumed by its scope's cancel, not by a value
  };

  /// Sender side, with mutex_ held, after adding a value or closing: if the receiver is
  /// parked and not yet told, post it a wake to its runtime (which is alive: the parked
  /// waiter unregisters under mutex_ before its frame, and so its runtime, can go away).
  void notify_locked();
  /// Receiver side (loop thread), with mutex_ held and nothing to take: parks w. False when a
  /// different receiver is already parked (one recv at a time).
  bool park_locked(waiter& w) noexcept;
  /// Receiver side (loop thread): forgets w if it is still parked (resumed by a cancel, or its
  /// frame destroyed). Returns true if it was.
  bool unpark(waiter& w) noexcept;
  /// Installs the cancel hook of w's scope: a cancelled recv is resumed at once.
  void hook_cancel(waiter& w) noexcept;

  std::mutex mutex_;
  // ---- guarded by mutex_ ----
  bool closed_ = false;
  waiter* waiter_ = nullptr;            ///< the parked receiver
  runtime_state* notify_rt_ = nullptr;  ///< its runtime while no wake is posted yet
  std::uint64_t parkings_ = 0;

 private:
  /// Runs on the parked receiver's runtime (posted by notify_locked): resumes it if it is still
  /// the parking the wake was posted for.
  void wake_on_loop(std::uint64_t generation) noexcept;
};

template <class T>
class channel_state : public channel_core {
 public:
  // ---- guarded by mutex_ ----
  std::vector<T> incoming_;
  // ---- the receiver's (one recv or try_recv at a time) ----
  std::vector<T> batch_;  ///< taken from incoming_ in one swap; consumed from head_
  std::size_t head_ = 0;

  /// Receiver: the next value, if any; refills batch_ from incoming_ under the lock.
  std::optional<T> take() {
    if (head_ == batch_.size()) {
      batch_.clear();
      head_ = 0;
      std::lock_guard lock(mutex_);
      batch_.swap(incoming_);  // the senders keep the old batch's capacity: no allocation when warm
      if (batch_.empty()) return std::nullopt;
    }
    std::optional<T> v(std::move(batch_[head_]));
    ++head_;
    return v;
  }
};

template <class T>
class recv_awaiter {
 public:
  explicit recv_awaiter(std::shared_ptr<channel_state<T>> st) noexcept : st_(std::move(st)) {}
  /// Movable before it is awaited (timeout() and when_any() take awaitables by value).
  recv_awaiter(recv_awaiter&&) noexcept = default;
  recv_awaiter& operator=(recv_awaiter&&) = delete;
  ~recv_awaiter() {
    if (parked_) st_->unpark(w_);
  }

  bool await_ready() {
    if (!st_) return true;
    value_ = st_->take();
    return value_.has_value();
  }
  bool await_suspend(std::coroutine_handle<> h) {
    if (!tls_runtime) {
      error_ = errc::no_runtime;
      return false;
    }
    w_.node.handle = h;
    w_.node.ctx = tls_ctx;
    w_.rt = tls_runtime;
    w_.core = st_.get();
    if (unwind_if_cancelled(w_.node)) return true;
    {
      std::lock_guard lock(st_->mutex_);
      if (!st_->incoming_.empty() || st_->closed_) return false;  // arrived meanwhile: take it now
      if (!st_->park_locked(w_)) {
        error_ = errc::invalid_argument;  // another task is already receiving
        return false;
      }
    }
    parked_ = true;
    st_->hook_cancel(w_);
    return true;
  }
  result<T> await_resume() {
    if (parked_) {  // woken or cancelled: make sure it is no longer registered
      st_->unpark(w_);
      parked_ = false;
    }
    if (!st_) return fail(errc::closed_handle);
    if (value_) return std::move(*value_);
    if (error_) return fail(*error_);
    if (!w_.cancelled) {
      if (auto v = st_->take()) return std::move(*v);
      std::lock_guard lock(st_->mutex_);
      if (st_->closed_ && st_->incoming_.empty()) return fail(errc::end_of_stream);
    }
    return fail_errno(ECANCELED);  // resumed by a cancel: nothing was taken
  }

 private:
  std::shared_ptr<channel_state<T>> st_;
  channel_core::waiter w_;
  std::optional<T> value_;
  std::optional<errc> error_;
  bool parked_ = false;
};

}  // namespace detail

/// An unbounded multi-producer, single-consumer channel. A channel is a handle: copies share
/// one queue (give each sender a copy). Thread rules:
/// - send() and close() from any thread, with or without a runtime; send never waits.
/// - recv() is awaited by one task at a time, on any runtime (the receiver); try_recv() is the
///   same side without waiting. Two concurrent receivers: the second gets errc::invalid_argument.
/// Values from one sender arrive in the order it sent them; none is lost or duplicated.
/// Cost: a lock per send and per batch received; values are stored in a vector that the
/// receiver swaps out whole, so a warm channel allocates nothing per message. A receiver that
/// was parked is woken with runtime::post (one allocation and one wake per batch, not per value).
/// Unbounded: a sender faster than its receiver grows the queue; pace it yourself (a reply
/// channel, or a counter) if that can happen.
/// Closing: after close(), send returns false and drops the value; recv returns what was sent
/// before, then errc::end_of_stream. A recv whose task is cancelled (timeout(), shutdown) ends
/// without taking a value: nothing is lost. Values still queued when the last handle goes are
/// destroyed with it.
template <class T>
class channel {
 public:
  channel() : st_(std::make_shared<detail::channel_state<T>>()) {}

  /// Queues v for the receiver; false (v dropped) if the channel is closed. Any thread.
  bool send(T v) const {
    std::lock_guard lock(st_->mutex_);
    if (st_->closed_) return false;
    st_->incoming_.push_back(std::move(v));
    st_->notify_locked();
    return true;
  }

  /// No more sends; the receiver gets what is queued, then errc::end_of_stream. Any thread.
  void close() const {
    std::lock_guard lock(st_->mutex_);
    if (st_->closed_) return;
    st_->closed_ = true;
    st_->notify_locked();
  }

  bool is_closed() const {
    std::lock_guard lock(st_->mutex_);
    return st_->closed_;
  }

  /// Awaitable of result<T>: the next value; errc::end_of_stream once closed and drained;
  /// ECANCELED if the awaiting task is cancelled; errc::no_runtime outside a runtime.
  detail::recv_awaiter<T> recv() const { return detail::recv_awaiter<T>(st_); }

  /// The next value if one is queued. Receiver side, any thread, never waits.
  std::optional<T> try_recv() const { return st_->take(); }

 private:
  std::shared_ptr<detail::channel_state<T>> st_;
};

}  // namespace corio
