// How each operation runs on libuv: one switch over its category (category_of, in core) into
// sockets (readiness + uv_poll_t), files (uv_fs_*) and close.
#include "drivers/libuv/uv_driver.hpp"

#include "drivers/blocking_pool/file_ops.hpp"
#include "drivers/libuv/uv_fd.hpp"

#include <corio/detail/fd_record.hpp>

#include <cerrno>
#include <unistd.h>

namespace corio::detail {

void uv_driver::submit(op_base& op) noexcept {
  ++in_flight_;
  switch (category_of(op.kind)) {
    case op_category::nop:
      finish(op, 0);
      break;
    case op_category::socket:
      submit_socket(op);
      break;
    case op_category::file:
    case op_category::blocking:  // getaddrinfo: a pooled request like a file's (uv_resolve.cpp)
      submit_file(op);
      break;
    case op_category::close:
      submit_close(op);
      break;
  }
}

void uv_driver::cancel_fd(fd_record& r) noexcept {
  if (!r.driver_state) return;
  auto& st = *static_cast<uv_fd*>(r.driver_state);
  readiness::fail_all(st, -ECANCELED, sink());
  update_watch(st);
}

void uv_driver::cancel(op_base& op) noexcept {
  if (readiness::queue_of(op.kind) != readiness::queue_id::none) {
    if (op.fd && op.fd->driver_state) {
      auto& st = *static_cast<uv_fd*>(op.fd->driver_state);
      if (readiness::cancel(st, op, sink())) update_watch(st);
    }
  } else if (const auto c = category_of(op.kind); c == op_category::file || c == op_category::blocking) {
    cancel_fs(op);  // completes in its callback, with -ECANCELED if it had not started
  }
}

void uv_driver::submit_close(op_base& op) noexcept {
  if (!op.fd) return finish(op, -EBADF);
  closes_.push_back(op);
}

// Closes run in batches of queue_entries per turn, like an io_uring submission queue: a mass
// drop of thousands of sockets does not stall one turn.
void uv_driver::run_closes(std::size_t max) noexcept {
  for (; max > 0 && !closes_.empty(); --max) {
    op_base* op = closes_.pop_front();
    fd_record& r = *op->fd;
    if (r.driver_state) {  // a watched socket: closed once its poll handle is (uv_watch.cpp)
      forget(r, op);
      continue;
    }
    // Linux frees the descriptor even when close reports EINTR: never retry.
    const int rc = ::close(r.fd);
    finish(*op, rc == 0 || errno == EINTR ? 0 : -errno);
  }
}

}  // namespace corio::detail
