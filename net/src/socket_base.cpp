// Socket creation, options and address queries shared by every socket type.
#include <corio/net/detail/socket_base.hpp>

#include <cerrno>
#include <sys/socket.h>

namespace corio::net::detail {

namespace {
result<void> check(int rc) noexcept {
  if (rc < 0) return fail_errno(errno);
  return {};
}
result<void> need(const fd_handle& h) noexcept {
  if (!h.valid()) return fail(errc::closed_handle);
  return {};
}
}  // namespace

result<fd_handle> open_socket(int family, int type) noexcept {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno(errno);
  const auto kind = type == SOCK_STREAM ? corio::detail::fd_kind::stream_socket : corio::detail::fd_kind::socket;
  auto rec = corio::detail::adopt_fd(fd, kind);  // closes fd on failure
  if (!rec) return tl::unexpected(rec.error());
  return fd_handle(*rec);
}

result<void> set_int_option(const fd_handle& h, int level, int name, int value) noexcept {
  if (auto ok = need(h); !ok) return ok;
  return check(::setsockopt(h.native(), level, name, &value, sizeof(value)));
}

result<int> get_int_option(const fd_handle& h, int level, int name) noexcept {
  if (auto ok = need(h); !ok) return tl::unexpected(ok.error());
  int value = 0;
  ::socklen_t len = sizeof(value);
  if (::getsockopt(h.native(), level, name, &value, &len) < 0) return fail_errno(errno);
  return value;
}

namespace {
template <class Fn>
result<address> query_address(const fd_handle& h, Fn fn) noexcept {
  if (auto ok = need(h); !ok) return tl::unexpected(ok.error());
  ::sockaddr_storage ss{};
  ::socklen_t len = sizeof(ss);
  if (fn(h.native(), reinterpret_cast<::sockaddr*>(&ss), &len) < 0) return fail_errno(errno);
  return address::from_sockaddr(reinterpret_cast<::sockaddr*>(&ss), len);
}
}  // namespace

result<address> local_address_of(const fd_handle& h) noexcept { return query_address(h, ::getsockname); }
result<address> peer_address_of(const fd_handle& h) noexcept { return query_address(h, ::getpeername); }

result<void> bind_to(const fd_handle& h, const address& addr) noexcept {
  if (auto ok = need(h); !ok) return ok;
  return check(::bind(h.native(), addr.sockaddr_ptr(), addr.sockaddr_len()));
}

result<void> listen_on(const fd_handle& h, int backlog) noexcept {
  if (auto ok = need(h); !ok) return ok;
  return check(::listen(h.native(), backlog));
}

}  // namespace corio::net::detail
