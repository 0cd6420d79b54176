// Descriptor lifetimes: adopting a descriptor, the last owner letting go, the close itself,
// and what happens to records still owned when the runtime goes away.
#include <corio/detail/fd_handle.hpp>

#include "core/src/runtime_state.hpp"

#include <unistd.h>

namespace corio::detail {

result<fd_record*> adopt_fd(int fd, fd_kind kind) noexcept {
  if (!tls_runtime) {
    ::close(fd);
    return fail(errc::no_runtime);
  }
  try {
    return tls_runtime->adopt(fd, kind);
  } catch (const std::bad_alloc&) {
    ::close(fd);
    return fail_errno(ENOMEM);
  }
}

void release_owner(fd_record* r) noexcept {
  if (--r->owners > 0) return;
  if (!r->rt) {  // the runtime is gone: nothing async is left to wait for
    ::close(r->fd);
    delete r;
    return;
  }
  r->rt->last_owner_gone(*r);
}

fd_record* runtime_state::adopt(int fd, fd_kind kind) {
  auto* r = new fd_record;
  r->fd = fd;
  r->kind = kind;
  r->owners = 1;
  r->rt = this;
  r->closer.fd = r;
  r->closer.marks = op_mark::closer;
  r->live_next = records_;
  if (records_) records_->live_prev = r;
  records_ = r;
  ++stats_.fds_owned;
  return r;
}

void runtime_state::last_owner_gone(fd_record& r) noexcept {
  r.close_queued = true;
  ++stats_.closes_pending;
  // A socket closed while a receive is still pending keeps the connection alive on io_uring:
  // cancel everything first, close once the last operation has let go. The driver reaches most
  // by the descriptor (one io_uring SQE; epoll's and libuv's own queues); the rest are listed.
  if (r.in_flight > 0) driver_.cancel_fd(r);
  for (op_base* op = r.ops; op; op = op->fd_next) cancel(*op);
  if (r.in_flight == 0) start_close(r);
}

void runtime_state::start_close(fd_record& r) noexcept { submit(r.closer); }

static void unlink_record(fd_record*& head, fd_record& r) noexcept {
  (r.live_prev ? r.live_prev->live_next : head) = r.live_next;
  if (r.live_next) r.live_next->live_prev = r.live_prev;
  r.live_prev = r.live_next = nullptr;
}

void runtime_state::on_closed(fd_record& r) noexcept {
  --stats_.closes_pending;
  --stats_.fds_owned;
  if (r.close_waiter) {
    *r.close_result = r.closer.result;
    wake(*r.close_waiter);
  }
  unlink_record(records_, r);
  delete &r;
}

void runtime_state::detach_all_records() noexcept {
  // Records still owned by handles that outlive the runtime: they close synchronously later.
  while (fd_record* r = records_) {
    driver_.release(*r);
    r->rt = nullptr;
    unlink_record(records_, *r);
    --stats_.fds_owned;
  }
}

void runtime_state::force_close_all() noexcept {
  // Past the shutdown deadline: close synchronously what still waits for its operations to let
  // go. Such a record is not freed (a stuck operation may still point at it); a close already
  // handed to the driver is left to finish (closing twice could hit a reused number).
  for (fd_record* r = records_; r;) {
    fd_record* next = r->live_next;
    if (r->close_queued && r->closer.state == op_state::idle) {
      driver_.release(*r);
      ::close(r->fd);
      ++stats_.closes_forced;
      --stats_.closes_pending;
      --stats_.fds_owned;
      unlink_record(records_, *r);
      r->rt = nullptr;
    }
    r = next;
  }
}

}  // namespace corio::detail
