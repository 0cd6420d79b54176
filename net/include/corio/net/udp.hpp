// UDP: udp_socket with send_to/recv_from (sendmsg/recvmsg carrying the peer address) and, once
// connected, send/recv. Truncated datagrams are reported, never silently cut.
#pragma once

#include <corio/detail/op_awaiter.hpp>
#include <corio/net/address.hpp>
#include <corio/net/detail/socket_base.hpp>

#include <cstddef>
#include <span>
#include <sys/uio.h>

namespace corio::net {

/// One received datagram. A datagram longer than the buffer is cut to the buffer (its first
/// `size` bytes are there) and `truncated` is true; the rest of it is lost, as with recvmsg.
struct datagram {
  std::size_t size = 0;  ///< bytes written into the buffer
  bool truncated = false;
  address from;          ///< the sender
};

/// Options for udp_socket::bind.
struct udp_options {
  bool reuse_address = false;  ///< SO_REUSEADDR
  bool reuse_port = false;     ///< SO_REUSEPORT
  bool broadcast = false;      ///< SO_BROADCAST
};

namespace detail {

/// sendmsg/recvmsg with the address and the single iovec inside the operation itself.
struct datagram_op : corio::detail::msg_op {
  using msg_op::msg_op;
  ::sockaddr_storage name{};
  ::socklen_t name_len = 0;
  ::iovec iov{};
};

result<datagram> datagram_result(const datagram_op& op) noexcept;

/// op_awaiter over datagram_op. msghdr points into the operation, so the pointers are set
/// when it starts: the awaiter may be moved until then (into timeout(), for example).
template <auto Convert>
class [[nodiscard]] datagram_awaiter : public corio::detail::op_awaiter<datagram_op, Convert> {
  using base = corio::detail::op_awaiter<datagram_op, Convert>;

 public:
  using base::base;
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    auto& op = this->op;
    op.msg.msg_name = op.name_len ? &op.name : nullptr;
    op.msg.msg_namelen = op.name_len;
    op.msg.msg_iov = &op.iov;
    op.msg.msg_iovlen = 1;
    return base::await_suspend(h);
  }
};

using recv_datagram_awaiter = datagram_awaiter<&datagram_result>;
using send_datagram_awaiter = datagram_awaiter<&corio::detail::size_result>;

}  // namespace detail

/// A UDP socket (IPv4 or IPv6). Move-only; dropping it closes asynchronously.
class udp_socket : public detail::socket_base {
 public:
  udp_socket() noexcept = default;
  explicit udp_socket(detail::fd_handle h) noexcept : socket_base(std::move(h)) {}

  /// A socket bound to `addr` (port 0: the kernel picks; "0.0.0.0:0" for a client).
  static result<udp_socket> bind(const address& addr, udp_options options = {}) noexcept;

  /// Sets the default peer: send() goes there and only its datagrams are received.
  /// Synchronous (a datagram connect never waits).
  result<void> connect(const address& peer) noexcept;
  /// The connected peer (ENOTCONN if not connected).
  result<address> peer_address() const noexcept { return detail::peer_address_of(h_); }

  /// Awaitable of result<std::size_t>: sends one datagram to `to`. Too large: EMSGSIZE.
  detail::send_datagram_awaiter send_to(std::span<const std::byte> buf, const address& to) noexcept;
  /// Awaitable of result<datagram>: receives one datagram into buf.
  detail::recv_datagram_awaiter recv_from(std::span<std::byte> buf) noexcept;
  /// Awaitable of result<std::size_t>: sends one datagram to the connected peer.
  detail::send_datagram_awaiter send(std::span<const std::byte> buf) noexcept;
  /// Awaitable of result<datagram>: receives one datagram (on a connected socket, from the peer).
  detail::recv_datagram_awaiter recv(std::span<std::byte> buf) noexcept { return recv_from(buf); }

  /// SO_BROADCAST.
  result<void> set_broadcast(bool on) noexcept;
};

}  // namespace corio::net
