// Listener creation shared by TCP and Unix.
#include <corio/net/detail/stream_socket.hpp>

#include <cerrno>

namespace corio::net::detail {

result<fd_handle> open_listener(const address& addr, const listen_options& options) noexcept {
  if (options.backlog < 0) return fail(errc::invalid_argument);
  auto h = open_socket(addr.native_family(), SOCK_STREAM);
  if (!h) return h;
  if (addr.is_ip()) {
    // Set before bind(2), where they take effect.
    if (options.reuse_address) {
      if (auto r = set_int_option(*h, SOL_SOCKET, SO_REUSEADDR, 1); !r) return tl::unexpected(r.error());
    }
    if (options.reuse_port) {
      if (auto r = set_int_option(*h, SOL_SOCKET, SO_REUSEPORT, 1); !r) return tl::unexpected(r.error());
    }
  }
  if (auto r = bind_to(*h, addr); !r) return tl::unexpected(r.error());
  if (auto r = listen_on(*h, options.backlog); !r) return tl::unexpected(r.error());
  return h;
}

result<fd_handle> connect_unix_now(const address& peer) noexcept {
  auto h = open_socket(AF_UNIX, SOCK_STREAM);
  if (!h) return h;
  int rc;
  do rc = ::connect(h->native(), peer.sockaddr_ptr(), peer.sockaddr_len());
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return fail_errno(errno);  // h closes the socket
  return h;
}

}  // namespace corio::net::detail
