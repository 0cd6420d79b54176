// TCP specifics: connect, bind, and the TCP-level socket options.
#include <corio/net/resolve.hpp>
#include <corio/net/tcp.hpp>

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace corio::net {

detail::connect_awaiter<tcp_stream> tcp_stream::connect(const address& peer) noexcept {
  return detail::start_connect<tcp_stream>(peer, false);
}

task<result<tcp_stream>> tcp_stream::connect(std::string host, std::uint16_t port) {
  auto addresses = co_await resolve(std::move(host), port);
  if (!addresses) co_return tl::unexpected(addresses.error());
  std::error_code last;
  for (const address& a : *addresses) {
    auto s = co_await connect(a);
    if (s) co_return std::move(*s);
    last = s.error();
  }
  co_return tl::unexpected(last);
}

namespace detail {

namespace {
result<void> set_int(fd_record* r, int level, int name, int value) noexcept {
  if (!r) return fail(errc::closed_handle);
  if (::setsockopt(r->fd, level, name, &value, sizeof(value)) < 0) return fail_errno(errno);
  return {};
}
}  // namespace

result<void> tcp_set_nodelay(fd_record* r, bool on) noexcept { return set_int(r, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0); }

result<bool> tcp_nodelay(fd_record* r) noexcept {
  if (!r) return fail(errc::closed_handle);
  int value = 0;
  ::socklen_t len = sizeof(value);
  if (::getsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &value, &len) < 0) return fail_errno(errno);
  return value != 0;
}

result<void> tcp_set_keepalive(fd_record* r, std::chrono::seconds idle, std::chrono::seconds interval, int count) noexcept {
  // The kernel's own limits (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT).
  constexpr long max_seconds = 32767;
  if (idle.count() < 1 || idle.count() > max_seconds || interval.count() < 1 || interval.count() > max_seconds ||
      count < 1 || count > 127) {
    return fail(errc::invalid_argument);
  }
  if (auto ok = set_int(r, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(idle.count())); !ok) return ok;
  if (auto ok = set_int(r, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(interval.count())); !ok) return ok;
  if (auto ok = set_int(r, IPPROTO_TCP, TCP_KEEPCNT, count); !ok) return ok;
  return set_int(r, SOL_SOCKET, SO_KEEPALIVE, 1);
}

result<void> tcp_disable_keepalive(fd_record* r) noexcept { return set_int(r, SOL_SOCKET, SO_KEEPALIVE, 0); }

result<void> tcp_set_linger(fd_record* r, std::optional<std::chrono::seconds> timeout) noexcept {
  if (!r) return fail(errc::closed_handle);
  if (timeout && (timeout->count() < 0 || timeout->count() > 65535)) return fail(errc::invalid_argument);
  ::linger l{};
  l.l_onoff = timeout ? 1 : 0;
  l.l_linger = timeout ? static_cast<int>(timeout->count()) : 0;
  if (::setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0) return fail_errno(errno);
  return {};
}

}  // namespace detail

result<tcp_listener> tcp_listener::bind(const address& addr, listen_options options) noexcept {
  if (!addr.is_ip()) return fail(errc::invalid_argument);
  auto h = detail::open_listener(addr, options);
  if (!h) return tl::unexpected(h.error());
  return tcp_listener(std::move(*h));
}

}  // namespace corio::net
