// TCP specifics: connect, bind, and the TCP-level socket options.
#include <corio/net/resolve.hpp>
#include <corio/net/tcp.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

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

result<void> tcp_stream::set_nodelay(bool on) noexcept {
  return detail::set_int_option(h_, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

result<bool> tcp_stream::nodelay() const noexcept {
  auto v = detail::get_int_option(h_, IPPROTO_TCP, TCP_NODELAY);
  if (!v) return tl::unexpected(v.error());
  return *v != 0;
}

result<void> tcp_stream::set_keepalive(std::chrono::seconds idle, std::chrono::seconds interval, int count) noexcept {
  // The kernel's own limits (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT).
  constexpr long max_seconds = 32767;
  if (idle.count() < 1 || idle.count() > max_seconds || interval.count() < 1 || interval.count() > max_seconds ||
      count < 1 || count > 127) {
    return fail(errc::invalid_argument);
  }
  if (auto r = detail::set_int_option(h_, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(idle.count())); !r) return r;
  if (auto r = detail::set_int_option(h_, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(interval.count())); !r) return r;
  if (auto r = detail::set_int_option(h_, IPPROTO_TCP, TCP_KEEPCNT, count); !r) return r;
  return detail::set_int_option(h_, SOL_SOCKET, SO_KEEPALIVE, 1);
}

result<void> tcp_stream::disable_keepalive() noexcept {
  return detail::set_int_option(h_, SOL_SOCKET, SO_KEEPALIVE, 0);
}

result<void> tcp_stream::set_linger(std::optional<std::chrono::seconds> timeout) noexcept {
  if (!valid()) return fail(errc::closed_handle);
  if (timeout && (timeout->count() < 0 || timeout->count() > 65535)) return fail(errc::invalid_argument);
  ::linger l{};
  l.l_onoff = timeout ? 1 : 0;
  l.l_linger = timeout ? static_cast<int>(timeout->count()) : 0;
  if (::setsockopt(native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0) return fail_errno(errno);
  return {};
}

result<tcp_listener> tcp_listener::bind(const address& addr, listen_options options) noexcept {
  if (!addr.is_ip()) return fail(errc::invalid_argument);
  auto h = detail::open_listener(addr, options);
  if (!h) return tl::unexpected(h.error());
  return tcp_listener(std::move(*h));
}

}  // namespace corio::net
