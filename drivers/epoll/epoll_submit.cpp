// How each operation runs on epoll: one switch over its category (category_of, in core) into
// sockets (readiness), files (blocking pool) and close.
#include "drivers/epoll/epoll_driver.hpp"

#include "drivers/blocking_pool/file_ops.hpp"

#include <corio/detail/fd_record.hpp>

#include <cerrno>
#include <unistd.h>

namespace corio::detail {

void epoll_driver::submit(op_base& op) noexcept {
  ++in_flight_;
  switch (category_of(op.kind)) {
    case op_category::nop:
      finish(op, 0);
      break;
    case op_category::socket:
      submit_socket(op);
      break;
    case op_category::file:
    case op_category::blocking:  // getaddrinfo: the same pool
      submit_file(op);
      break;
    case op_category::close:
      submit_close(op);
      break;
  }
}

void epoll_driver::submit_socket(op_base& op) noexcept {
  if (readiness::try_socket(*this, op)) finish(op, op.result);
}

void epoll_driver::submit_file(op_base& op) noexcept {
  if (int err = pool_.push(op); err < 0) return finish(op, err);
  ++pool_jobs_;
}

void epoll_driver::submit_close(op_base& op) noexcept {
  if (!op.fd) return finish(op, -EBADF);
  closes_.push_back(op);
}

// Closes run in batches of queue_entries per turn, like an io_uring submission queue: a mass
// drop of thousands of sockets (each close may send a FIN or RST) does not stall one turn.
void epoll_driver::run_closes(std::size_t max) noexcept {
  for (; max > 0 && !closes_.empty(); --max) {
    op_base* op = closes_.pop_front();
    forget(*op->fd);
    // Linux frees the descriptor even when close reports EINTR: never retry.
    const int rc = ::close(op->fd->fd);
    finish(*op, rc == 0 || errno == EINTR ? 0 : -errno);
  }
}

void epoll_driver::cancel_fd(fd_record& r) noexcept {
  if (r.driver_state) readiness::fail_all(*static_cast<readiness::fd_queues*>(r.driver_state), -ECANCELED, sink());
}

void epoll_driver::cancel(op_base& op) noexcept {
  if (readiness::queue_of(op.kind) != readiness::queue_id::none) {
    if (op.fd && op.fd->driver_state) {
      readiness::cancel(*static_cast<readiness::fd_queues*>(op.fd->driver_state), op, sink());
    }
  } else if (const auto c = category_of(op.kind);
             (c == op_category::file || c == op_category::blocking) && pool_.cancel(op)) {
    --pool_jobs_;
    finish(op, -ECANCELED);
  }
  // Anything else has already completed (or runs to completion soon on a pool thread).
}

}  // namespace corio::detail
