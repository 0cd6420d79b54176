#include "drivers/readiness/fd_queues.hpp"

#include <corio/detail/fd_record.hpp>

#include <cerrno>
#include <poll.h>

namespace corio::detail::readiness {

namespace {

op_list* list_for(fd_queues& q, queue_id id) noexcept {
  switch (id) {
    case queue_id::read: return &q.readers;
    case queue_id::write: return &q.writers;
    case queue_id::poll: return &q.pollers;
    case queue_id::none: break;
  }
  return nullptr;
}

}  // namespace

void check_pollers(fd_queues& q, const sink& s) noexcept {
  std::uint32_t wanted = 0;
  for (op_base* op = q.pollers.front(); op; op = op->drv_next) wanted |= static_cast<poll_op*>(op)->events;
  const std::uint32_t revents = poll_now(q.fd, wanted);
  if (revents == 0) return;
  for (op_base* op = q.pollers.front(); op;) {
    op_base* next = op->drv_next;
    const std::uint32_t mine = revents & (static_cast<poll_op*>(op)->events | POLLHUP | POLLERR | POLLNVAL);
    if (mine) {
      q.pollers.remove(*op);
      s.finish(*op, static_cast<int>(mine));
    }
    op = next;
  }
}

int attempt(fd_queues* q, op_base& op) noexcept {
  // The stream operations' conditions live in their typed overloads only.
  if (op.kind == op_kind::recv) return attempt(q, static_cast<recv_op&>(op));
  if (op.kind == op_kind::recv_pooled) return attempt(q, static_cast<recv_pooled_op&>(op));
  if (op.kind == op_kind::send) return attempt(q, static_cast<send_op&>(op));
  const queue_id id = queue_of(op.kind);
  // Data ops queue behind parked ones; a poll only looks, so it may always check now.
  if (q && (id == queue_id::read || id == queue_id::write)) {
    if (!(id == queue_id::read ? q->readers : q->writers).empty()) return would_block;
  }
  const int res = perform(op);
  // Only an op with a queue can wait; for the others (shutdown) EAGAIN is the answer.
  return res == would_block && id == queue_id::none ? -EAGAIN : res;
}

void park(fd_queues& q, op_base& op) noexcept { list_for(q, queue_of(op.kind))->push_back(op); }

bool cancel(fd_queues& q, op_base& op, const sink& s) noexcept {
  op_list* list = list_for(q, queue_of(op.kind));
  if (!list || !list->contains(op)) return false;  // already finished (or never parked)
  list->remove(op);
  s.finish(op, -ECANCELED);
  return true;
}

void fail_all(fd_queues& q, int res, const sink& s) noexcept {
  for (op_list* list : {&q.readers, &q.writers, &q.pollers}) {
    while (op_base* op = list->pop_front()) s.finish(*op, res);
  }
}

std::uint32_t interest(const fd_queues& q) noexcept {
  std::uint32_t bits = 0;
  if (!q.readers.empty()) bits |= POLLIN;
  if (!q.writers.empty()) bits |= POLLOUT;
  for (op_base* op = q.pollers.front(); op; op = op->drv_next) {
    bits |= static_cast<poll_op*>(op)->events & (POLLIN | POLLOUT | POLLRDHUP | POLLPRI);
  }
  return bits;
}

}  // namespace corio::detail::readiness
