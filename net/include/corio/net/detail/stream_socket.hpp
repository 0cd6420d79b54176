// The parts TCP and Unix stream sockets share, written once: the stream type's base (stream
// operations, split, graceful close, addresses), the listener's base (accept), and connect.
#pragma once

#include <corio/detail/op_awaiter.hpp>
#include <corio/net/address.hpp>
#include <corio/net/detail/socket_base.hpp>
#include <corio/split.hpp>
#include <corio/stream.hpp>
#include <corio/task.hpp>

#include <chrono>
#include <cstring>
#include <sys/socket.h>

namespace corio::net {

/// What accept() yields: the connected stream and the peer's address (unnamed for a Unix
/// client that did not bind). Use with structured bindings: `auto [stream, peer] = *r;`
template <class Stream>
struct accepted {
  Stream stream;
  address peer;
};

/// Options for tcp_listener::bind and unix_listener::bind.
struct listen_options {
  int backlog = SOMAXCONN;     ///< capped by net.core.somaxconn
  bool reuse_address = true;   ///< SO_REUSEADDR (IP only): rebind while old connections linger
  bool reuse_port = false;     ///< SO_REUSEPORT (IP only): several listeners share the port
};

namespace detail {

/// Converts an accept completion: adopts the new descriptor at once (no leak whatever follows).
template <class Stream>
result<accepted<Stream>> accept_result(const corio::detail::accept_op& op) noexcept {
  if (op.result < 0) return tl::unexpected(corio::detail::op_error(op.result));
  auto rec = corio::detail::adopt_fd(op.result, corio::detail::fd_kind::stream_socket);
  if (!rec) return tl::unexpected(rec.error());
  Stream stream{fd_handle(*rec)};
  auto peer = address::from_sockaddr(reinterpret_cast<const ::sockaddr*>(&op.addr), op.addrlen);
  return accepted<Stream>{std::move(stream), peer ? *peer : address{}};
}

template <class Stream>
using accept_awaiter = corio::detail::op_awaiter<corio::detail::accept_op, &accept_result<Stream>>;

/// Makes an op_awaiter complete at once with `ec` (an errno or a corio::errc).
template <class Awaiter>
void fail_awaiter(Awaiter& a, const std::error_code& ec) noexcept {
  if (&ec.category() == &corio::error_category()) {  // by address: no call that UBSan checks at EMFILE
    a.fail_now(static_cast<errc>(ec.value()));
  } else {
    a.fail_now_errno(ec.value());
  }
}

/// Awaitable connect: owns the new socket from its creation (so it closes whatever happens:
/// an error, a cancel, never being awaited) and hands it to the stream on success.
template <class Stream>
class [[nodiscard]] connect_awaiter {
 public:
  connect_awaiter(result<fd_handle> socket, const address& peer) noexcept
      : inner_(socket ? socket->record() : nullptr) {
    if (!socket) {
      fail_awaiter(inner_, socket.error());
      return;
    }
    h_ = std::move(*socket);
    std::memcpy(&inner_.op.addr, peer.sockaddr_ptr(), peer.sockaddr_len());
    inner_.op.addrlen = peer.sockaddr_len();
  }
  /// A socket that is already connected (Unix-domain connects finish synchronously).
  explicit connect_awaiter(fd_handle connected) noexcept : h_(std::move(connected)), inner_(h_.record()) {
    inner_.op.result = 0;
    inner_.op.state = corio::detail::op_state::done;
  }

  bool await_ready() const noexcept { return inner_.await_ready(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return inner_.await_suspend(h); }
  result<Stream> await_resume() noexcept {
    if (auto r = inner_.await_resume(); !r) {
      h_.reset();
      return tl::unexpected(r.error());
    }
    return Stream(std::move(h_));
  }

 private:
  fd_handle h_;
  corio::detail::op_awaiter<corio::detail::connect_op, corio::detail::void_result> inner_;
};

/// Connects a Unix-domain socket now. The kernel never makes a Unix connect wait on a
/// non-blocking socket: it succeeds or fails at once (EAGAIN when the listener's queue is
/// full), so it is one synchronous call, identical on every driver.
result<fd_handle> connect_unix_now(const address& peer) noexcept;

/// Creates a socket for `peer` and starts connecting: TCP through the driver's connect
/// operation, Unix synchronously (see connect_unix_now).
template <class Stream>
connect_awaiter<Stream> start_connect(const address& peer, bool want_unix) noexcept {
  const bool ok = want_unix ? (peer.family() == address_family::unix_path ||
                               peer.family() == address_family::unix_abstract)
                            : peer.is_ip();
  if (!ok) return connect_awaiter<Stream>(fail(errc::invalid_argument), peer);
  if (want_unix) {
    auto h = connect_unix_now(peer);
    if (!h) return connect_awaiter<Stream>(tl::unexpected(h.error()), peer);
    return connect_awaiter<Stream>(std::move(*h));
  }
  return connect_awaiter<Stream>(open_socket(peer.native_family(), SOCK_STREAM), peer);
}

/// socket + options + bind + listen for a listener of `family` (checked by caller).
result<fd_handle> open_listener(const address& addr, const listen_options& options) noexcept;

/// The base of tcp_stream and unix_stream: stream operations (read, write, readv, writev,
/// read_exact, write_all, shutdown, closed — see corio/stream.hpp) over one owned descriptor.
template <class Self>
class stream_socket : public socket_base, public stream_reader<Self>, public stream_writer<Self> {
 public:
  stream_socket() noexcept = default;
  explicit stream_socket(fd_handle h) noexcept : socket_base(std::move(h)) {}

  /// The connected peer's address (getpeername); ENOTCONN once the peer is gone.
  result<address> peer_address() const noexcept { return peer_address_of(h_); }

  /// Another owner of the same connection (like dup without a new descriptor); the
  /// connection closes when the last owner goes.
  Self share() const noexcept { return Self(h_.share()); }

  /// Splits into an owned read half and write half (corio/split.hpp), each movable to its
  /// own task; a read and a write may be in flight at once. reunite() puts them back.
  std::pair<read_half<Self>, write_half<Self>> split() && {
    return corio::split(std::move(static_cast<Self&>(*this)));
  }

  /// Closes with RST instead of FIN (SO_LINGER 0), once every owner (shares, halves) has let
  /// go: at once if this was the only one. The peer's pending and next reads fail with
  /// ECONNRESET (on a Unix stream: end-of-stream, or ECONNRESET if it sent data we did not
  /// read). Leaves this stream empty.
  void abort() noexcept {
    if (!h_.valid()) return;
    corio::detail::arm_reset(h_.record());
    h_.reset();
  }

  /// Sends FIN, reads and discards until the peer's end-of-stream or `deadline`, then closes.
  /// Leaves this stream empty.
  task<result<close_outcome>> graceful_close(std::chrono::steady_clock::time_point deadline) {
    return corio::detail::stream_graceful_close(std::move(h_), deadline);
  }
  /// The same with a deadline `d` from now.
  task<result<close_outcome>> graceful_close(std::chrono::nanoseconds d) {
    return graceful_close(std::chrono::steady_clock::now() + d);
  }
};

/// The base of tcp_listener and unix_listener.
template <class Stream>
class listener_socket : public socket_base {
 public:
  listener_socket() noexcept = default;
  explicit listener_socket(fd_handle h) noexcept : socket_base(std::move(h)) {}

  /// Awaitable of result<accepted<Stream>>: the next connection and its peer address. The new
  /// socket is non-blocking and close-on-exec; if the awaiting task is cancelled after the
  /// kernel accepted, the core closes the descriptor (no leak).
  accept_awaiter<Stream> accept() noexcept { return accept_awaiter<Stream>(record()); }
};

}  // namespace detail
}  // namespace corio::net
