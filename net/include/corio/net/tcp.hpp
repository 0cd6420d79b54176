// TCP: tcp_stream (connect, the stream operations, socket options) and tcp_listener.
#pragma once

#include <corio/net/detail/stream_socket.hpp>
#include <corio/net/detail/tcp_options.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace corio::net {

/// A connected TCP stream. Move-only; dropping it closes the connection asynchronously.
/// Stream operations (read, write, write_all, read_exact, readv, writev, shutdown, closed)
/// come from corio/stream.hpp; every one works with timeout() and task cancellation. The
/// socket options (set_nodelay, set_keepalive, disable_keepalive, set_linger) come from
/// detail::tcp_options, and both split halves have them too.
class tcp_stream : public detail::stream_socket<tcp_stream>, public detail::tcp_options<tcp_stream> {
 public:
  /// What split halves add to their reads and writes: the same socket options.
  template <class Half>
  using half_options = detail::tcp_options<Half>;

  tcp_stream() noexcept = default;
  /// Takes ownership of a descriptor record (what accept, split and reunite use).
  explicit tcp_stream(detail::fd_handle h) noexcept : stream_socket(std::move(h)) {}

  /// Awaitable of result<tcp_stream>: connects to an IPv4/IPv6 address. A non-IP address is
  /// errc::invalid_argument; a closed port ECONNREFUSED.
  static detail::connect_awaiter<tcp_stream> connect(const address& peer) noexcept;
  /// Resolves `host` (corio/net/resolve.hpp) and tries each address in turn, in the resolver's
  /// order, until one connects. Errors: the resolver's, or the last address's connect error.
  static task<result<tcp_stream>> connect(std::string host, std::uint16_t port);
};

/// A listening TCP socket.
class tcp_listener : public detail::listener_socket<tcp_stream> {
 public:
  tcp_listener() noexcept = default;
  explicit tcp_listener(detail::fd_handle h) noexcept : listener_socket(std::move(h)) {}

  /// Binds and listens on an IPv4/IPv6 address (port 0: the kernel picks one; read it with
  /// local_address()). A port in use is EADDRINUSE; a non-IP address invalid_argument.
  static result<tcp_listener> bind(const address& addr, listen_options options = {}) noexcept;

  // accept() -> awaitable of result<accepted<tcp_stream>> (see detail::listener_socket).
};

using tcp_read_half = read_half<tcp_stream>;
using tcp_write_half = write_half<tcp_stream>;

}  // namespace corio::net
