// TCP socket options, written once for tcp_stream and for both of its split halves: a proxy
// that holds only halves can still turn Nagle off or arm a reset (set_linger(0s)).
#pragma once

#include <corio/detail/fd_record.hpp>
#include <corio/result.hpp>

#include <chrono>
#include <optional>

namespace corio::net::detail {

result<void> tcp_set_nodelay(corio::detail::fd_record* r, bool on) noexcept;
result<bool> tcp_nodelay(corio::detail::fd_record* r) noexcept;
result<void> tcp_set_keepalive(corio::detail::fd_record* r, std::chrono::seconds idle, std::chrono::seconds interval,
                               int count) noexcept;
result<void> tcp_disable_keepalive(corio::detail::fd_record* r) noexcept;
result<void> tcp_set_linger(corio::detail::fd_record* r, std::optional<std::chrono::seconds> timeout) noexcept;

/// The option setters of a TCP stream or half (CRTP: Self has record()). An empty handle is
/// errc::closed_handle.
template <class Self>
class tcp_options {
 public:
  /// TCP_NODELAY: send small writes at once instead of coalescing them (Nagle off).
  result<void> set_nodelay(bool on = true) noexcept { return tcp_set_nodelay(rec(), on); }
  result<bool> nodelay() const noexcept { return tcp_nodelay(rec()); }
  /// SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT: probe after `idle` without
  /// traffic, every `interval`, give up after `count` unanswered probes. Values must be
  /// >= 1 (seconds, count) and fit the kernel's limits, else errc::invalid_argument.
  result<void> set_keepalive(std::chrono::seconds idle, std::chrono::seconds interval, int count) noexcept {
    return tcp_set_keepalive(rec(), idle, interval, count);
  }
  /// Turns SO_KEEPALIVE off.
  result<void> disable_keepalive() noexcept { return tcp_disable_keepalive(rec()); }
  /// SO_LINGER: nullopt restores the default; a zero timeout makes the close send RST (a
  /// reset) instead of FIN. See also abort().
  result<void> set_linger(std::optional<std::chrono::seconds> timeout) noexcept { return tcp_set_linger(rec(), timeout); }

 private:
  corio::detail::fd_record* rec() const noexcept { return static_cast<const Self&>(*this).record(); }
};

}  // namespace corio::net::detail
