// How each operation becomes an SQE: one switch over op_kind (-Werror=switch-enum keeps it whole).
#include "drivers/io_uring/uring_prep.hpp"

#include <corio/detail/fd_record.hpp>

#include <climits>
#include <fcntl.h>
#include <sys/socket.h>

namespace corio::detail {

namespace {
// The kernel caps one read or write at this many bytes anyway.
unsigned clamp_len(std::size_t len) noexcept {
  return len > 0x7ffff000u ? 0x7ffff000u : static_cast<unsigned>(len);
}
}  // namespace

void uring_prep(io_uring_sqe* sqe, op_base& base) noexcept {
  const int fd = op_fd(base);
  switch (base.kind) {
    case op_kind::nop:
      io_uring_prep_nop(sqe);
      break;
    case op_kind::recv: {
      auto& op = static_cast<recv_op&>(base);
      io_uring_prep_recv(sqe, fd, op.buf, op.len, op.flags);
      break;
    }
    case op_kind::send: {
      auto& op = static_cast<send_op&>(base);
      io_uring_prep_send(sqe, fd, op.buf, op.len, op.flags | MSG_NOSIGNAL);
      break;
    }
    case op_kind::recvmsg: {
      auto& op = static_cast<msg_op&>(base);
      io_uring_prep_recvmsg(sqe, fd, &op.msg, static_cast<unsigned>(op.flags));
      break;
    }
    case op_kind::sendmsg: {
      auto& op = static_cast<msg_op&>(base);
      io_uring_prep_sendmsg(sqe, fd, &op.msg, static_cast<unsigned>(op.flags | MSG_NOSIGNAL));
      break;
    }
    case op_kind::accept: {
      auto& op = static_cast<accept_op&>(base);
      op.addrlen = sizeof(op.addr);
      io_uring_prep_accept(sqe, fd, reinterpret_cast<sockaddr*>(&op.addr), &op.addrlen,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
      break;
    }
    case op_kind::connect: {
      auto& op = static_cast<connect_op&>(base);
      io_uring_prep_connect(sqe, fd, reinterpret_cast<const sockaddr*>(&op.addr), op.addrlen);
      break;
    }
    case op_kind::poll:
      io_uring_prep_poll_add(sqe, fd, static_cast<poll_op&>(base).events);
      break;
    case op_kind::shutdown:
      io_uring_prep_shutdown(sqe, fd, static_cast<shutdown_op&>(base).how);
      break;
    case op_kind::openat: {
      auto& op = static_cast<openat_op&>(base);
      io_uring_prep_openat(sqe, op.dirfd, op.path, op.flags | O_CLOEXEC, op.mode);
      break;
    }
    case op_kind::read_at: {
      auto& op = static_cast<rw_at_op&>(base);
      io_uring_prep_read(sqe, fd, op.buf, clamp_len(op.len), op.offset);
      break;
    }
    case op_kind::write_at: {
      auto& op = static_cast<rw_at_op&>(base);
      io_uring_prep_write(sqe, fd, op.buf, clamp_len(op.len), op.offset);
      break;
    }
    case op_kind::readv_at: {
      auto& op = static_cast<rwv_at_op&>(base);
      io_uring_prep_readv(sqe, fd, op.iov, static_cast<unsigned>(op.iovcnt), op.offset);
      break;
    }
    case op_kind::writev_at: {
      auto& op = static_cast<rwv_at_op&>(base);
      io_uring_prep_writev(sqe, fd, op.iov, static_cast<unsigned>(op.iovcnt), op.offset);
      break;
    }
    case op_kind::fsync:
      io_uring_prep_fsync(sqe, fd, static_cast<fsync_op&>(base).datasync ? IORING_FSYNC_DATASYNC : 0);
      break;
    case op_kind::statx: {
      auto& op = static_cast<statx_op&>(base);
      io_uring_prep_statx(sqe, fd >= 0 ? fd : op.dirfd, op.path, op.flags, op.mask, op.out);
      break;
    }
    case op_kind::unlinkat: {
      auto& op = static_cast<unlinkat_op&>(base);
      io_uring_prep_unlinkat(sqe, op.dirfd, op.path, op.flags);
      break;
    }
    case op_kind::renameat: {
      auto& op = static_cast<renameat_op&>(base);
      io_uring_prep_renameat(sqe, op.olddirfd, op.oldpath, op.newdirfd, op.newpath, op.flags);
      break;
    }
    case op_kind::mkdirat: {
      auto& op = static_cast<mkdirat_op&>(base);
      io_uring_prep_mkdirat(sqe, op.dirfd, op.path, op.mode);
      break;
    }
    case op_kind::close:
      io_uring_prep_close(sqe, fd);
      break;
  }
  io_uring_sqe_set_data(sqe, &base);
}

}  // namespace corio::detail
