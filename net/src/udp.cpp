// UDP: bind, connect, and the datagram operations (sendmsg/recvmsg with the peer address).
#include <corio/net/udp.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>

namespace corio::net {

namespace detail {

result<datagram> datagram_result(const datagram_op& op) noexcept {
  if (op.result < 0) return tl::unexpected(corio::detail::op_error(op.result));
  // The receive runs with MSG_TRUNC, so the result is the datagram's real length even when
  // the buffer was smaller; msg_flags says so too where the driver copies it back.
  const auto n = static_cast<std::size_t>(op.result);
  datagram d;
  d.size = std::min(n, op.iov.iov_len);
  d.truncated = n > op.iov.iov_len || (op.msg.msg_flags & MSG_TRUNC) != 0;
  if (auto from = address::from_sockaddr(reinterpret_cast<const ::sockaddr*>(&op.name), op.msg.msg_namelen)) {
    d.from = *from;
  }
  return d;
}

}  // namespace detail

result<udp_socket> udp_socket::bind(const address& addr, udp_options options) noexcept {
  if (!addr.is_ip()) return fail(errc::invalid_argument);
  auto h = detail::open_socket(addr.native_family(), SOCK_DGRAM);
  if (!h) return tl::unexpected(h.error());
  if (options.reuse_address) {
    if (auto r = detail::set_int_option(*h, SOL_SOCKET, SO_REUSEADDR, 1); !r) return tl::unexpected(r.error());
  }
  if (options.reuse_port) {
    if (auto r = detail::set_int_option(*h, SOL_SOCKET, SO_REUSEPORT, 1); !r) return tl::unexpected(r.error());
  }
  if (options.broadcast) {
    if (auto r = detail::set_int_option(*h, SOL_SOCKET, SO_BROADCAST, 1); !r) return tl::unexpected(r.error());
  }
  if (auto r = detail::bind_to(*h, addr); !r) return tl::unexpected(r.error());
  return udp_socket(std::move(*h));
}

result<void> udp_socket::connect(const address& peer) noexcept {
  if (!valid()) return fail(errc::closed_handle);
  if (!peer.is_ip()) return fail(errc::invalid_argument);
  if (::connect(native_handle(), peer.sockaddr_ptr(), peer.sockaddr_len()) < 0) return fail_errno(errno);
  return {};
}

detail::send_datagram_awaiter udp_socket::send_to(std::span<const std::byte> buf, const address& to) noexcept {
  detail::send_datagram_awaiter a(record());
  a.op.kind = corio::detail::op_kind::sendmsg;
  a.op.iov = {const_cast<std::byte*>(buf.data()), buf.size()};  // iovec is not const-correct
  if (!to.is_ip()) {
    if (valid()) a.fail_now(errc::invalid_argument);
    return a;
  }
  std::memcpy(&a.op.name, to.sockaddr_ptr(), to.sockaddr_len());
  a.op.name_len = to.sockaddr_len();
  return a;
}

detail::send_datagram_awaiter udp_socket::send(std::span<const std::byte> buf) noexcept {
  detail::send_datagram_awaiter a(record());
  a.op.kind = corio::detail::op_kind::sendmsg;
  a.op.iov = {const_cast<std::byte*>(buf.data()), buf.size()};
  return a;
}

detail::recv_datagram_awaiter udp_socket::recv_from(std::span<std::byte> buf) noexcept {
  detail::recv_datagram_awaiter a(record());
  a.op.kind = corio::detail::op_kind::recvmsg;
  a.op.flags = MSG_TRUNC;
  a.op.iov = {buf.data(), buf.size()};
  a.op.name_len = sizeof(a.op.name);
  return a;
}

result<void> udp_socket::set_broadcast(bool on) noexcept {
  return detail::set_int_option(h_, SOL_SOCKET, SO_BROADCAST, on ? 1 : 0);
}

}  // namespace corio::net
