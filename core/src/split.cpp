#include <corio/split.hpp>

#include <sys/socket.h>

namespace corio::detail {

void shutdown_write_now(fd_record* r) noexcept {
  // Non-blocking and immediate: FIN is queued behind data already written.
  ::shutdown(r->fd, SHUT_WR);
}

}  // namespace corio::detail
