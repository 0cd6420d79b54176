// Unix-domain stream specifics: connect, socketpair, credentials, bind.
#include <corio/net/unix.hpp>

#include <cerrno>
#include <sys/socket.h>

namespace corio::net {

namespace {
bool is_named_unix(const address& a) noexcept {
  return a.family() == address_family::unix_path || a.family() == address_family::unix_abstract;
}
}  // namespace

detail::connect_awaiter<unix_stream> unix_stream::connect(const address& peer) noexcept {
  return detail::start_connect<unix_stream>(peer, true);
}

result<std::pair<unix_stream, unix_stream>> unix_stream::pair() noexcept {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) return fail_errno(errno);
  // Adopt both before checking either, so neither can leak.
  auto a = corio::detail::adopt_fd(fds[0], corio::detail::fd_kind::stream_socket);
  auto b = corio::detail::adopt_fd(fds[1], corio::detail::fd_kind::stream_socket);
  unix_stream first(a ? detail::fd_handle(*a) : detail::fd_handle());
  unix_stream second(b ? detail::fd_handle(*b) : detail::fd_handle());
  if (!a) return tl::unexpected(a.error());
  if (!b) return tl::unexpected(b.error());
  return std::pair<unix_stream, unix_stream>(std::move(first), std::move(second));
}

result<peer_credentials> unix_stream::credentials() const noexcept {
  if (!valid()) return fail(errc::closed_handle);
  ::ucred cred{};
  ::socklen_t len = sizeof(cred);
  if (::getsockopt(native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return fail_errno(errno);
  return peer_credentials{cred.pid, cred.uid, cred.gid};
}

result<unix_listener> unix_listener::bind(const address& addr, listen_options options) noexcept {
  if (!is_named_unix(addr)) return fail(errc::invalid_argument);
  auto h = detail::open_listener(addr, options);
  if (!h) return tl::unexpected(h.error());
  return unix_listener(std::move(*h));
}

}  // namespace corio::net
