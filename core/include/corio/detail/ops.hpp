// Operations are data. Each is an aggregate deriving from op_base, declared once here; every
// driver interprets it with one switch over op_kind. An operation lives in the awaiting
// coroutine's frame and never moves while in flight.
#pragma once

#include <corio/detail/context.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <sys/socket.h>
#include <sys/types.h>

struct addrinfo;
struct iovec;
struct statx;

namespace corio::detail {

struct fd_record;

enum class op_kind : std::uint8_t {
  nop,
  // sockets
  recv,
  send,
  recv_pooled,  ///< a receive into a buffer its pool picks when data is there (pool_state.hpp)
  recvmsg,
  sendmsg,
  accept,
  connect,
  poll,
  shutdown,
  // files and paths
  openat,
  read_at,
  write_at,
  readv_at,
  writev_at,
  fsync,
  statx,
  unlinkat,
  renameat,
  mkdirat,
  // descriptors
  close,
  // blocking library calls
  getaddrinfo,
};

/// How a readiness-based driver runs an operation: at once (nop), on a descriptor's readiness
/// (socket), on a blocking pool (file and path), or as the descriptor's close. `blocking` is a
/// library call no kernel interface offers asynchronously (getaddrinfo): every driver, io_uring
/// included, runs it on a thread pool. Backend-free, so every driver that needs the split takes
/// it from here instead of listing the kinds again.
enum class op_category : std::uint8_t { nop, socket, file, close, blocking };

constexpr op_category category_of(op_kind kind) noexcept {
  switch (kind) {
    case op_kind::nop:
      return op_category::nop;
    case op_kind::recv:
    case op_kind::send:
    case op_kind::recv_pooled:
    case op_kind::recvmsg:
    case op_kind::sendmsg:
    case op_kind::accept:
    case op_kind::connect:
    case op_kind::poll:
    case op_kind::shutdown:
      return op_category::socket;
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
      return op_category::file;
    case op_kind::close:
      return op_category::close;
    case op_kind::getaddrinfo:
      return op_category::blocking;
  }
  return op_category::nop;
}

enum class op_state : std::uint8_t {
  idle,       ///< not started
  in_flight,  ///< handed to the driver
  canceling,  ///< cancel asked; the final completion is still to come
  done,       ///< completed; result is final
};

/// Bits of op_base::marks.
namespace op_mark {
inline constexpr std::uint8_t closer = 1;  ///< its descriptor's own close (fd_record::closer)
inline constexpr std::uint8_t listed = 2;  ///< linked in fd->ops (see runtime_state::book_submit)
/// write_all, read_exact: a recv or send that goes on with the rest of its buffer after a short
/// transfer (see advance_transfer) without resuming its waiter in between.
inline constexpr std::uint8_t loops = 4;
/// A pooled read (recv_pooled_op): its -ENOBUFS is the core's to handle, not its waiter's.
inline constexpr std::uint8_t pooled = 8;
/// A pooled read parked on its pool until a buffer comes back: in flight, but in no driver.
inline constexpr std::uint8_t pool_wait = 16;
}  // namespace op_mark

struct op_base : ready_node {
  /// Operations may be copied or moved before they start, never while in flight.
  explicit op_base(op_kind k) noexcept : kind(k) {}

  op_kind kind;
  op_state state = op_state::idle;
  /// True for operations whose success is a new descriptor (accept, openat): if nobody will
  /// receive it, the core closes it.
  bool yields_fd = false;
  /// What the core's completion path looks at beyond the common case, in one byte (op_mark).
  std::uint8_t marks = 0;
  std::int32_t result = 0;  ///< >= 0 value, < 0 -errno
  fd_record* fd = nullptr;  ///< the descriptor operated on (null for path operations)
  op_base* fd_prev = nullptr;  ///< links in fd->ops (ops the driver cannot cancel by descriptor)
  op_base* fd_next = nullptr;
  op_base* drv_prev = nullptr;  ///< scratch links owned by the driver while in flight
  op_base* drv_next = nullptr;
};

struct nop_op : op_base {
  nop_op() noexcept : op_base(op_kind::nop) {}
};

struct recv_op : op_base {
  recv_op() noexcept : op_base(op_kind::recv) {}
  void* buf = nullptr;
  std::size_t len = 0;
  int flags = 0;
};

struct send_op : op_base {
  send_op() noexcept : op_base(op_kind::send) {}
  const void* buf = nullptr;
  std::size_t len = 0;
  int flags = 0;  ///< drivers always add MSG_NOSIGNAL
};

/// A looping recv or send (op_mark::loops) has just transferred op.result bytes: true when it
/// is to go on with the rest of its buffer (now adjusted), false when it is finished — in full,
/// at an error or the end of stream, or because its scope is being cancelled (the waiter then
/// reports what happened). Inline: every write_all's completion asks it.
template <class Op>
[[gnu::always_inline]] inline bool advance_transfer(Op& op) noexcept {
  const int res = op.result;
  if (res <= 0 || static_cast<std::size_t>(res) >= op.len) [[likely]] return false;
  if (op.ctx && op.ctx->cancel_requested) return false;
  const auto n = static_cast<std::size_t>(res);
  using bytes = std::conditional_t<std::is_same_v<decltype(op.buf), const void*>, const std::byte*, std::byte*>;
  op.buf = static_cast<bytes>(op.buf) + n;
  op.len -= n;
  return true;
}
[[gnu::always_inline]] inline bool advance_transfer(op_base& op) noexcept {
  // recv_op and send_op share their layout: this is one code path once compiled.
  if (op.kind == op_kind::send) return advance_transfer(static_cast<send_op&>(op));
  return advance_transfer(static_cast<recv_op&>(op));
}

/// recvmsg/sendmsg: vectored reads and writes on sockets, and datagrams with addresses.
struct msg_op : op_base {
  explicit msg_op(op_kind k = op_kind::recvmsg) noexcept : op_base(k) {}  ///< or sendmsg
  ::msghdr msg{};
  int flags = 0;
};

struct accept_op : op_base {
  accept_op() noexcept : op_base(op_kind::accept) { yields_fd = true; }
  ::sockaddr_storage addr{};
  ::socklen_t addrlen = sizeof(::sockaddr_storage);
};

struct connect_op : op_base {
  connect_op() noexcept : op_base(op_kind::connect) {}
  ::sockaddr_storage addr{};
  ::socklen_t addrlen = 0;
};

/// Waits for poll events (POLLIN, POLLOUT, POLLRDHUP...); result is the returned mask.
struct poll_op : op_base {
  poll_op() noexcept : op_base(op_kind::poll) {}
  std::uint32_t events = 0;
};

struct shutdown_op : op_base {
  shutdown_op() noexcept : op_base(op_kind::shutdown) {}
  int how = 0;
};

struct openat_op : op_base {
  openat_op() noexcept : op_base(op_kind::openat) { yields_fd = true; }
  int dirfd = -100;  // AT_FDCWD
  const char* path = nullptr;
  int flags = 0;
  ::mode_t mode = 0;
};

/// read_at / write_at: positional I/O on files.
struct rw_at_op : op_base {
  explicit rw_at_op(op_kind k = op_kind::read_at) noexcept : op_base(k) {}  ///< or write_at
  void* buf = nullptr;
  std::size_t len = 0;
  std::uint64_t offset = 0;
};

/// readv_at / writev_at.
struct rwv_at_op : op_base {
  explicit rwv_at_op(op_kind k = op_kind::readv_at) noexcept : op_base(k) {}  ///< or writev_at
  const ::iovec* iov = nullptr;
  int iovcnt = 0;
  std::uint64_t offset = 0;
};

struct fsync_op : op_base {
  fsync_op() noexcept : op_base(op_kind::fsync) {}
  bool datasync = false;
};

struct statx_op : op_base {
  statx_op() noexcept : op_base(op_kind::statx) {}
  int dirfd = -100;
  const char* path = nullptr;  ///< "" with AT_EMPTY_PATH and fd set: stat of the descriptor
  int flags = 0;
  unsigned mask = 0;
  struct ::statx* out = nullptr;
};

struct unlinkat_op : op_base {
  unlinkat_op() noexcept : op_base(op_kind::unlinkat) {}
  int dirfd = -100;
  const char* path = nullptr;
  int flags = 0;  ///< AT_REMOVEDIR for directories
};

struct renameat_op : op_base {
  renameat_op() noexcept : op_base(op_kind::renameat) {}
  int olddirfd = -100;
  const char* oldpath = nullptr;
  int newdirfd = -100;
  const char* newpath = nullptr;
  unsigned flags = 0;
};

struct mkdirat_op : op_base {
  mkdirat_op() noexcept : op_base(op_kind::mkdirat) {}
  int dirfd = -100;
  const char* path = nullptr;
  ::mode_t mode = 0;
};

struct close_op : op_base {
  close_op() noexcept : op_base(op_kind::close) {}
};

/// getaddrinfo(3), on a pool thread (libuv: uv_getaddrinfo). Success: result 0 and `out` owns
/// the list, freed by whoever receives it — or by the core if nobody will (a cancelled lookup).
/// Failure: result < 0, and gai_error holds the EAI_* code when the resolver itself failed
/// (0 for a plain -errno such as -ECANCELED).
struct getaddrinfo_op : op_base {
  getaddrinfo_op() noexcept : op_base(op_kind::getaddrinfo) {}
  const char* host = nullptr;     ///< must stay valid until completion
  const char* service = nullptr;  ///< port number or service name; may be null
  int family = 0;                 ///< AF_UNSPEC, AF_INET or AF_INET6
  int socktype = 0;               ///< SOCK_STREAM, SOCK_DGRAM, or 0 for both
  int flags = 0;                  ///< AI_* hints
  ::addrinfo* out = nullptr;
  int gai_error = 0;
};

/// The raw descriptor an operation works on (-1 for path operations).
int op_fd(const op_base& op) noexcept;

}  // namespace corio::detail
