#include "drivers/blocking_pool/file_ops.hpp"
#include "drivers/syscall.hpp"

#include <corio/detail/fd_record.hpp>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace corio::detail {

namespace {

int do_statx(int fd, statx_op& op) noexcept {
  const char* path = op.path ? op.path : "";
  int flags = op.flags;
  if (fd >= 0 && path[0] == '\0') flags |= AT_EMPTY_PATH;  // stat of the descriptor itself
  return retry_eintr([&] { return ::statx(fd >= 0 ? fd : op.dirfd, path, flags, op.mask, op.out); });
}

int do_renameat(renameat_op& op) noexcept {
  if (op.flags == 0) return retry_eintr([&] { return ::renameat(op.olddirfd, op.oldpath, op.newdirfd, op.newpath); });
  return retry_eintr([&] { return ::renameat2(op.olddirfd, op.oldpath, op.newdirfd, op.newpath, op.flags); });
}

}  // namespace

int perform_file_op(op_base& base) noexcept {
  const int fd = op_fd(base);
  switch (base.kind) {
    case op_kind::openat: {
      auto& op = static_cast<openat_op&>(base);
      return retry_eintr([&] { return ::openat(op.dirfd, op.path, op.flags | O_CLOEXEC, op.mode); });
    }
    case op_kind::read_at: {
      auto& op = static_cast<rw_at_op&>(base);
      return retry_eintr([&] { return ::pread(fd, op.buf, clamp_len(op.len), static_cast<off_t>(op.offset)); });
    }
    case op_kind::write_at: {
      auto& op = static_cast<rw_at_op&>(base);
      return retry_eintr([&] { return ::pwrite(fd, op.buf, clamp_len(op.len), static_cast<off_t>(op.offset)); });
    }
    case op_kind::readv_at: {
      auto& op = static_cast<rwv_at_op&>(base);
      return retry_eintr([&] { return ::preadv(fd, op.iov, op.iovcnt, static_cast<off_t>(op.offset)); });
    }
    case op_kind::writev_at: {
      auto& op = static_cast<rwv_at_op&>(base);
      return retry_eintr([&] { return ::pwritev(fd, op.iov, op.iovcnt, static_cast<off_t>(op.offset)); });
    }
    case op_kind::fsync:
      if (static_cast<fsync_op&>(base).datasync) return retry_eintr([&] { return ::fdatasync(fd); });
      return retry_eintr([&] { return ::fsync(fd); });
    case op_kind::statx:
      return do_statx(fd, static_cast<statx_op&>(base));
    case op_kind::unlinkat: {
      auto& op = static_cast<unlinkat_op&>(base);
      return retry_eintr([&] { return ::unlinkat(op.dirfd, op.path, op.flags); });
    }
    case op_kind::renameat:
      return do_renameat(static_cast<renameat_op&>(base));
    case op_kind::mkdirat: {
      auto& op = static_cast<mkdirat_op&>(base);
      return retry_eintr([&] { return ::mkdirat(op.dirfd, op.path, op.mode); });
    }
    case op_kind::nop:
    case op_kind::recv:
    case op_kind::send:
    case op_kind::recv_pooled:
    case op_kind::recvmsg:
    case op_kind::sendmsg:
    case op_kind::accept:
    case op_kind::connect:
    case op_kind::poll:
    case op_kind::shutdown:
    case op_kind::close:
    case op_kind::getaddrinfo:
      break;
  }
  return -EINVAL;  // not a file operation
}

}  // namespace corio::detail
