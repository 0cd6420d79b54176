// One non-blocking attempt per socket operation, with the flags of socket_ops.hpp's typed ones:
// MSG_DONTWAIT on every call, MSG_NOSIGNAL on sends.
#include "drivers/readiness/socket_ops.hpp"
#include "drivers/syscall.hpp"

#include <corio/detail/fd_record.hpp>

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>

namespace corio::detail::readiness {

namespace {

int do_accept(int fd, accept_op& op) noexcept {
  op.addrlen = sizeof(op.addr);
  return nonblocking([&] {
    return ::accept4(fd, reinterpret_cast<sockaddr*>(&op.addr), &op.addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
  });
}

int do_connect(int fd, connect_op& op) noexcept {
  if (op.result == -EINPROGRESS) {  // a retry: the attempt started earlier has finished?
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
    if (err != 0) return -err;
    return (poll_now(fd, POLLOUT) & POLLOUT) ? 0 : would_block;  // a spurious wake-up: still going
  }
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&op.addr), op.addrlen);
  if (rc == 0) return 0;
  if (errno == EINPROGRESS || errno == EINTR) {  // EINTR: the connection goes on asynchronously
    op.result = -EINPROGRESS;
    return would_block;
  }
  // EAGAIN here is final: a Unix listener's full backlog, which no readiness event announces.
  return -errno;
}

}  // namespace

std::uint32_t poll_now(int fd, std::uint32_t events) noexcept {
  ::pollfd p{fd, static_cast<short>(events), 0};
  if (retry_eintr([&] { return ::poll(&p, 1, 0); }) <= 0) return 0;
  return static_cast<std::uint16_t>(p.revents) & (events | POLLHUP | POLLERR | POLLNVAL);
}

int perform(op_base& base) noexcept {
  const int fd = op_fd(base);
  if (fd < 0 && base.kind != op_kind::nop) return -EBADF;
  switch (base.kind) {
    case op_kind::recv:
      return perform(static_cast<recv_op&>(base));
    case op_kind::send:
      return perform(static_cast<send_op&>(base));
    case op_kind::recv_pooled:
      return perform(static_cast<recv_pooled_op&>(base));
    case op_kind::recvmsg: {
      auto& op = static_cast<msg_op&>(base);
      return nonblocking([&] { return ::recvmsg(fd, &op.msg, op.flags | MSG_DONTWAIT); });
    }
    case op_kind::sendmsg: {
      auto& op = static_cast<msg_op&>(base);
      return nonblocking([&] { return ::sendmsg(fd, &op.msg, op.flags | MSG_DONTWAIT | MSG_NOSIGNAL); });
    }
    case op_kind::accept:
      return do_accept(fd, static_cast<accept_op&>(base));
    case op_kind::connect:
      return do_connect(fd, static_cast<connect_op&>(base));
    case op_kind::poll: {
      std::uint32_t revents = poll_now(fd, static_cast<poll_op&>(base).events);
      return revents ? static_cast<int>(revents) : would_block;
    }
    case op_kind::shutdown:
      return nonblocking([&] { return ::shutdown(fd, static_cast<shutdown_op&>(base).how); });
    case op_kind::nop:
      return 0;
    case op_kind::openat:
    case op_kind::read_at:
    case op_kind::write_at:
    case op_kind::readv_at:
    case op_kind::writev_at:
    case op_kind::fsync:
    case op_kind::statx:
    case op_kind::unlinkat:
    case op_kind::renameat:
    case op_kind::mkdirat:
    case op_kind::close:
    case op_kind::getaddrinfo:
      break;
  }
  return -EINVAL;  // not a socket operation
}

}  // namespace corio::detail::readiness
