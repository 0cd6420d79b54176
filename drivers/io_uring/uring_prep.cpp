// How each operation becomes an SQE: one switch over op_kind (-Werror=switch-enum keeps it whole).
#include "drivers/io_uring/uring_prep.hpp"
#include "drivers/syscall.hpp"

#include <corio/detail/fd_record.hpp>
#include <corio/detail/pool_state.hpp>

#include <climits>
#include <fcntl.h>
#include <sys/socket.h>

namespace corio::detail {

namespace {
// An SQE's length is 32 bits: the clamp (to what the kernel moves at most anyway) keeps it there.
unsigned sqe_len(std::size_t len) noexcept { return static_cast<unsigned>(clamp_len(len)); }
}  // namespace

#define CORIO_URING_OPCODE(op) uring_opcode{IORING_OP_##op, "IORING_OP_" #op}
const uring_opcode uring_opcodes_used[] = {
    CORIO_URING_OPCODE(NOP),      CORIO_URING_OPCODE(RECV),     CORIO_URING_OPCODE(SEND),
    CORIO_URING_OPCODE(RECVMSG),  CORIO_URING_OPCODE(SENDMSG),  CORIO_URING_OPCODE(ACCEPT),
    CORIO_URING_OPCODE(CONNECT),  CORIO_URING_OPCODE(POLL_ADD), CORIO_URING_OPCODE(SHUTDOWN),
    CORIO_URING_OPCODE(OPENAT),   CORIO_URING_OPCODE(READ),     CORIO_URING_OPCODE(WRITE),
    CORIO_URING_OPCODE(READV),    CORIO_URING_OPCODE(WRITEV),   CORIO_URING_OPCODE(FSYNC),
    CORIO_URING_OPCODE(STATX),    CORIO_URING_OPCODE(UNLINKAT), CORIO_URING_OPCODE(RENAMEAT),
    CORIO_URING_OPCODE(MKDIRAT),  CORIO_URING_OPCODE(CLOSE),    CORIO_URING_OPCODE(ASYNC_CANCEL),
};
#undef CORIO_URING_OPCODE
const std::size_t uring_opcodes_used_count = sizeof(uring_opcodes_used) / sizeof(uring_opcodes_used[0]);

void uring_prep(io_uring_sqe* sqe, op_base& base) noexcept {
  const int fd = op_fd(base);
  switch (base.kind) {
    case op_kind::nop:
      io_uring_prep_nop(sqe);
      break;
    case op_kind::recv:
      return uring_prep(sqe, static_cast<recv_op&>(base));
    case op_kind::send:
      return uring_prep(sqe, static_cast<send_op&>(base));
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
    case op_kind::recv_pooled:
      return uring_prep_pooled(sqe, static_cast<recv_pooled_op&>(base));  // uring_pooled.cpp
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
      io_uring_prep_read(sqe, fd, op.buf, sqe_len(op.len), op.offset);
      break;
    }
    case op_kind::write_at: {
      auto& op = static_cast<rw_at_op&>(base);
      io_uring_prep_write(sqe, fd, op.buf, sqe_len(op.len), op.offset);
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
    case op_kind::getaddrinfo:  // never prepared: the driver runs it on its pool
      io_uring_prep_nop(sqe);
      break;
    case op_kind::close:
      io_uring_prep_close(sqe, fd);
      break;
  }
  io_uring_sqe_set_data(sqe, &base);
}

}  // namespace corio::detail
