// What every corio::net socket shares: one fd_handle, its address queries and option setters,
// and socket creation. Written once here for TCP, Unix and UDP.
#pragma once

#include <corio/detail/fd_handle.hpp>
#include <corio/net/address.hpp>
#include <corio/result.hpp>

#include <utility>

namespace corio::net::detail {

using corio::detail::fd_handle;
using corio::detail::fd_record;

/// socket(2) with SOCK_NONBLOCK|SOCK_CLOEXEC (every driver expects non-blocking sockets),
/// adopted at once by this thread's runtime so it can never leak.
result<fd_handle> open_socket(int family, int type) noexcept;

/// setsockopt(2) with an int value.
result<void> set_int_option(const fd_handle& h, int level, int name, int value) noexcept;
/// getsockopt(2) of an int value.
result<int> get_int_option(const fd_handle& h, int level, int name) noexcept;
/// getsockname(2) / getpeername(2).
result<address> local_address_of(const fd_handle& h) noexcept;
result<address> peer_address_of(const fd_handle& h) noexcept;
/// bind(2) (and listen(2) for a listener).
result<void> bind_to(const fd_handle& h, const address& addr) noexcept;
result<void> listen_on(const fd_handle& h, int backlog) noexcept;

/// The owner of one socket descriptor; the base of every socket type.
class socket_base {
 public:
  socket_base() noexcept = default;
  explicit socket_base(fd_handle h) noexcept : h_(std::move(h)) {}
  socket_base(socket_base&&) noexcept = default;
  socket_base& operator=(socket_base&&) noexcept = default;

  /// False once moved from or closed.
  bool valid() const noexcept { return h_.valid(); }
  explicit operator bool() const noexcept { return h_.valid(); }
  /// The descriptor number (-1 when empty). corio still owns it: do not close it.
  int native_handle() const noexcept { return h_.native(); }
  /// The descriptor record the operations act on (null when empty).
  fd_record* record() const noexcept { return h_.record(); }
  /// The address the socket is bound to (getsockname); with port 0 the port the kernel chose.
  result<address> local_address() const noexcept { return local_address_of(h_); }
  /// Awaitable: closes now if this is the only owner, else waits until every other owner
  /// (split halves, shares) has let go; yields the close's own result. Leaves this empty.
  corio::detail::fd_handle::close_awaiter close() noexcept { return h_.close(); }
  /// Gives up the descriptor record (what split and reunite use).
  fd_handle take_handle() && noexcept { return std::move(h_); }

 protected:
  fd_handle h_;
};

}  // namespace corio::net::detail
