// fd_handle: a move-only owner of a shared descriptor record. Every corio handle (streams,
// listeners, sockets, files, halves) holds one. The last owner gone queues an asynchronous
// close on the record's runtime; after the runtime is gone it closes synchronously.
#pragma once

#include <corio/detail/fd_record.hpp>
#include <corio/detail/scheduler.hpp>
#include <corio/result.hpp>

#include <cerrno>
#include <utility>

namespace corio::detail {

/// Wraps a new descriptor in a record owned by this thread's runtime. Without a running
/// runtime the descriptor is closed and errc::no_runtime returned.
result<fd_record*> adopt_fd(int fd, fd_kind kind) noexcept;
/// Drops one owner; the last one queues the close (or closes at once if the runtime is gone).
void release_owner(fd_record* r) noexcept;

class fd_handle {
 public:
  fd_handle() noexcept = default;
  explicit fd_handle(fd_record* r) noexcept : rec_(r) {}
  fd_handle(fd_handle&& o) noexcept : rec_(std::exchange(o.rec_, nullptr)) {}
  fd_handle& operator=(fd_handle&& o) noexcept {
    if (this != &o) {
      reset();
      rec_ = std::exchange(o.rec_, nullptr);
    }
    return *this;
  }
  ~fd_handle() { reset(); }

  bool valid() const noexcept { return rec_ != nullptr; }
  int native() const noexcept { return rec_ ? rec_->fd : -1; }
  fd_record* record() const noexcept { return rec_; }

  /// Another owner of the same descriptor.
  fd_handle share() const noexcept {
    if (rec_) ++rec_->owners;
    return fd_handle(rec_);
  }
  /// Drops ownership now (an asynchronous close if this was the last owner).
  void reset() noexcept {
    if (rec_) release_owner(std::exchange(rec_, nullptr));
  }
  /// Gives up ownership without closing anything.
  fd_record* release() noexcept { return std::exchange(rec_, nullptr); }

  /// Awaitable close: gives up this owner, waits until every other owner has let go and the
  /// descriptor is closed, and yields the close's own result. A moved-from or already closed
  /// handle yields errc::closed_handle.
  class close_awaiter {
   public:
    explicit close_awaiter(fd_record* r) noexcept : rec_(r) {}
    bool await_ready() const noexcept { return rec_ == nullptr; }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
      node_.handle = h;
      node_.ctx = tls_ctx;
      if (!rec_->rt) {  // the runtime is gone: close synchronously
        release_owner(rec_);
        result_ = 0;
        return false;
      }
      rec_->close_waiter = &node_;
      rec_->close_result = &result_;
      if (node_.ctx) {
        node_.ctx->set_hook(
            [](void* arg) noexcept {
              auto* self = static_cast<close_awaiter*>(arg);
              self->rec_->close_waiter = nullptr;  // the close still happens; we stop waiting
              self->result_ = -ECANCELED;
              schedule(self->node_);
            },
            this);
      }
      release_owner(rec_);
      return true;
    }
    result<void> await_resume() const noexcept {
      if (!rec_) return fail(errc::closed_handle);
      if (result_ < 0) return tl::unexpected(op_error(result_));
      return {};
    }

   private:
    fd_record* rec_;
    ready_node node_;
    int result_ = 0;
  };
  close_awaiter close() noexcept { return close_awaiter(std::exchange(rec_, nullptr)); }

 private:
  fd_record* rec_ = nullptr;
};

}  // namespace corio::detail
