// Socket operations performed as plain non-blocking system calls, for the drivers that
// emulate completion on top of readiness (epoll, libuv): "do it now, or say what to wait for".
#pragma once

#include "drivers/syscall.hpp"

#include <corio/detail/fd_record.hpp>
#include <corio/detail/pool_state.hpp>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <sys/socket.h>

namespace corio::detail::readiness {

/// The per-descriptor queue an operation waits in when it would block.
enum class queue_id : std::uint8_t {
  none,   ///< never waits (nop, shutdown) or is not a socket operation (files, close)
  read,   ///< recv, recvmsg, accept: waits for readable
  write,  ///< send, sendmsg, connect: waits for writable
  poll,   ///< poll_op: waits for its own events
};

/// Inline: every submit, park and cancel asks it. Every kind is listed, as in every switch
/// over op_kind (-Werror=switch-enum: a new kind must say where it waits).
constexpr queue_id queue_of(op_kind kind) noexcept {
  switch (kind) {
    case op_kind::recv:
    case op_kind::recv_pooled:
    case op_kind::recvmsg:
    case op_kind::accept:
      return queue_id::read;
    case op_kind::send:
    case op_kind::sendmsg:
    case op_kind::connect:
      return queue_id::write;
    case op_kind::poll:
      return queue_id::poll;
    case op_kind::nop:
    case op_kind::shutdown:
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
      return queue_id::none;
  }
  return queue_id::none;
}

/// What perform() returns when op must wait for readiness: no system call returns it, so a
/// genuine -EAGAIN result (a Unix connect to a full backlog) stays a result.
inline constexpr int would_block = INT_MIN;

/// The value of a non-blocking call, retried on EINTR; would_block on EAGAIN; -errno otherwise.
template <class F>
[[gnu::always_inline]] inline int nonblocking(F&& call) noexcept {
  const int rc = retry_eintr(call);
  return rc == -EAGAIN ? would_block : rc;  // EWOULDBLOCK is EAGAIN on Linux
}

// The per-message stream operations, typed and inline (the drivers' try_socket for them, and
// perform() below). Every call adds MSG_DONTWAIT (a descriptor adopted as blocking must never
// stall the loop) and sends add MSG_NOSIGNAL (no SIGPIPE).
inline int perform(recv_op& op) noexcept {
  const int fd = op_fd(op);
  if (fd < 0) [[unlikely]] return -EBADF;
  return nonblocking([&] { return ::recv(fd, op.buf, clamp_len(op.len), op.flags | MSG_DONTWAIT); });
}
inline int perform(send_op& op) noexcept {
  const int fd = op_fd(op);
  if (fd < 0) [[unlikely]] return -EBADF;
  return nonblocking([&] { return ::send(fd, op.buf, clamp_len(op.len), op.flags | MSG_DONTWAIT | MSG_NOSIGNAL); });
}

/// A pooled read: a buffer is taken from the pool only for the receive itself and kept only
/// if bytes arrived (op.buf then names it), so a read waiting for data holds none. A buffer
/// the core reserved for it (op.buf already set: it waited for one) is used and kept as it is.
/// With the pool empty, a one-byte peek tells a read with data waiting (-ENOBUFS: the core
/// parks it on its pool) from one without (would_block: it waits for readiness as any read).
/// io_uring runs the same attempt once a POLL_ADD says the socket is readable.
inline int perform(recv_pooled_op& op) noexcept {
  const int fd = op_fd(op);
  if (fd < 0) [[unlikely]] return -EBADF;
  pool_state& pool = *op.pool;
  const bool reserved = op.buf != no_buffer;
  const buffer_id id = reserved ? op.buf : pool.take();
  if (id == no_buffer) {
    char probe;
    const int rc = nonblocking([&] { return ::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT); });
    return rc > 0 ? -ENOBUFS : rc;  // or would_block, 0 (end of stream), -errno
  }
  const int rc = nonblocking([&] { return ::recv(fd, pool.data(id), clamp_len(pool.size), MSG_DONTWAIT); });
  if (rc > 0) {
    op.buf = id;
  } else if (!reserved) {
    pool.untake(id);
  }
  return rc;
}

/// One attempt at op's system call: the result (>= 0 or -errno), or would_block. A poll_op
/// yields its ready mask, or would_block when none of its events is present. A connect in
/// progress is marked in op.result (-EINPROGRESS) so the retry checks SO_ERROR.
int perform(op_base& op) noexcept;

/// poll(2) on fd now: the revents among `events` plus POLLHUP, POLLERR and POLLNVAL.
std::uint32_t poll_now(int fd, std::uint32_t events) noexcept;

}  // namespace corio::detail::readiness
