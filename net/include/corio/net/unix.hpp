// Unix-domain stream sockets: unix_stream (connect, pair, the stream operations) and
// unix_listener. Same operations as TCP, written once in detail/stream_socket.hpp.
#pragma once

#include <corio/net/detail/stream_socket.hpp>

#include <sys/types.h>
#include <utility>

namespace corio::net {

/// The credentials of the process at the other end (SO_PEERCRED), as of connect/socketpair.
struct peer_credentials {
  ::pid_t pid = 0;
  ::uid_t uid = 0;
  ::gid_t gid = 0;
};

/// A connected Unix-domain stream socket. Move-only; dropping it closes asynchronously.
class unix_stream : public detail::stream_socket<unix_stream> {
 public:
  unix_stream() noexcept = default;
  /// Takes ownership of a descriptor record (what accept, split and reunite use).
  explicit unix_stream(detail::fd_handle h) noexcept : stream_socket(std::move(h)) {}

  /// Awaitable of result<unix_stream>: connects to a Unix path or abstract name; other
  /// addresses are errc::invalid_argument; no listener ENOENT or ECONNREFUSED. A Unix connect
  /// never waits in the kernel, so it completes at once on every driver; a listener whose
  /// queue is full gives EAGAIN (retry later), as a non-blocking connect(2) does.
  static detail::connect_awaiter<unix_stream> connect(const address& peer) noexcept;
  /// Two connected streams (socketpair); a runtime must be running on this thread.
  static result<std::pair<unix_stream, unix_stream>> pair() noexcept;

  /// The peer's pid, uid and gid.
  result<peer_credentials> credentials() const noexcept;
};

/// A listening Unix-domain socket. The socket file is not removed on close (as with bind(2));
/// binding to an existing path is EADDRINUSE.
class unix_listener : public detail::listener_socket<unix_stream> {
 public:
  unix_listener() noexcept = default;
  explicit unix_listener(detail::fd_handle h) noexcept : listener_socket(std::move(h)) {}

  /// Binds and listens on a Unix path or abstract name (options: backlog only).
  static result<unix_listener> bind(const address& addr, listen_options options = {}) noexcept;

  // accept() -> awaitable of result<accepted<unix_stream>> (see detail::listener_socket).
};

using unix_read_half = read_half<unix_stream>;
using unix_write_half = write_half<unix_stream>;

}  // namespace corio::net
