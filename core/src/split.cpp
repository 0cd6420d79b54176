#include <corio/split.hpp>

#include <sys/socket.h>

namespace corio::detail {

void shutdown_write_now(fd_record* r) noexcept {
  // Non-blocking and immediate: FIN is queued behind data already written.
  ::shutdown(r->fd, SHUT_WR);
}

void arm_reset(fd_record* r) noexcept {
  // Fails only on a descriptor that is not a socket: then the close is a plain one.
  ::linger l{};
  l.l_onoff = 1;
  l.l_linger = 0;
  ::setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

}  // namespace corio::detail
