// Blocking operations on io_uring: no opcode runs getaddrinfo, so the driver hands such
// operations to a lazily started blocking pool. Its workers signal through the eventfd the
// ring already reads (tag_wake), and reap() collects their results on that wake only.
#include "drivers/io_uring/uring_driver.hpp"

#include <cerrno>

namespace corio::detail {

void uring_driver::submit_pool(op_base& op) noexcept {
  if (int err = pool_.push(op); err < 0) return complete(done_, op, err);
  ++pool_jobs_;
  ++in_flight_;
}

void uring_driver::cancel_pool(op_base& op) noexcept {
  // Only a job no worker has taken can be withdrawn; a running lookup finishes on its own.
  if (!pool_.cancel(op)) return;
  --pool_jobs_;
  --in_flight_;
  complete(done_, op, -ECANCELED);
}

void uring_driver::drain_pool() noexcept {
  op_list finished = pool_.take_done();
  while (op_base* op = finished.pop_front()) {
    --pool_jobs_;
    --in_flight_;
    complete(done_, *op, op->result);
  }
}

}  // namespace corio::detail
