// Per-descriptor wait queues shared by the epoll and libuv drivers: socket operations that
// would block park here until the descriptor is ready, then are retried in FIFO order.
// Separate read and write queues let a read and a write (two halves of a split stream) be in
// flight together; poll operations (closed()) have their own queue and fire on any event.
#pragma once

#include "core/src/node_queue.hpp"
#include "drivers/readiness/op_list.hpp"
#include "drivers/readiness/socket_ops.hpp"

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace corio::detail::readiness {

/// Where a driver's finished operations go: its completion queue, and its in-flight count.
struct sink {
  completion_queue& done;
  std::size_t& in_flight;
  void finish(op_base& op, int res) const noexcept {
    --in_flight;
    complete(done, op, res);
  }
};

/// A driver's per-descriptor state derives from this (fd_record::driver_state points to it).
struct fd_queues {
  int fd = -1;
  op_list readers;  ///< recv, recvmsg, accept
  op_list writers;  ///< send, sendmsg, connect
  op_list pollers;  ///< poll_op
  /// A byte stream whose last read came back short (or EAGAIN): its receive queue was empty
  /// then, and the next readiness edge reports new data. Until that edge a read parks at once
  /// instead of making a system call that would say EAGAIN. Cleared on every read readiness.
  bool read_drained = false;
  /// The peer hung up (or the socket failed): its end-of-stream or error stays readable with no
  /// further edge, so from now on every read tries its system call.
  bool hung_up = false;

  bool idle() const noexcept { return readers.empty() && writers.empty() && pollers.empty(); }
};

/// Readiness reported by the driver: which queues to retry (pollers are always checked).
inline constexpr unsigned ready_read = 1;
inline constexpr unsigned ready_write = 2;
inline constexpr unsigned ready_all = ready_read | ready_write;
/// With ready_read: the event also said RDHUP, HUP or ERR (sticky: see fd_queues::hung_up).
inline constexpr unsigned ready_hup = 4;

/// Tries a socket op now: its result, or would_block when it must park (its system call would
/// block, or earlier ops are parked in its queue and FIFO order must hold). q may be null
/// (nothing parked on the descriptor yet).
int attempt(fd_queues* q, op_base& op) noexcept;

/// Parks op (attempt returned would_block); the driver makes sure the descriptor is watched.
void park(fd_queues& q, op_base& op) noexcept;

// attempt() and park() for the per-message stream operations, inline: their queue and their
// system call are known from their type.
/// A read on a byte stream that got less than it asked for emptied the receive queue.
inline void note_recv(fd_queues& q, const op_base& op, std::size_t asked, int res) noexcept {
  if (op.fd->kind != fd_kind::stream_socket) return;
  if (res == would_block || (res > 0 && static_cast<std::size_t>(res) < asked)) q.read_drained = true;
}
inline void note_recv(fd_queues& q, const recv_op& op, int res) noexcept { note_recv(q, op, op.len, res); }
inline void note_recv(fd_queues& q, const recv_pooled_op& op, int res) noexcept {
  note_recv(q, op, op.pool->size, res);
}
/// A stream read (plain or pooled): behind the parked ones, or parked at once while the receive
/// queue is known to be empty.
template <class Op>
  requires std::is_same_v<Op, recv_op> || std::is_same_v<Op, recv_pooled_op>
inline int attempt(fd_queues* q, Op& op) noexcept {
  if (q && (!q->readers.empty() || (q->read_drained && !q->hung_up))) return would_block;
  const int res = perform(op);
  if (q) note_recv(*q, op, res);
  return res;
}
inline int attempt(fd_queues* q, send_op& op) noexcept {
  if (q && !q->writers.empty()) return would_block;
  return perform(op);
}
inline void park(fd_queues& q, recv_op& op) noexcept { q.readers.push_back(op); }
inline void park(fd_queues& q, send_op& op) noexcept { q.writers.push_back(op); }
inline void park(fd_queues& q, recv_pooled_op& op) noexcept { q.readers.push_back(op); }

/// A readiness driver's try_socket (epoll, libuv): tries op now and, if it would block, parks
/// it in its descriptor's state (Driver::fd_state, made by d.watch on first use) and tells
/// d.parked. True, op.result set, when op finished at once. Typed for recv_op and send_op: no
/// switch and no call between co_await and the system call.
template <class Driver, class Op>
[[gnu::always_inline]] inline bool try_socket(Driver& d, Op& op) noexcept {
  if (!op.fd) [[unlikely]] {
    op.result = -EBADF;
    return true;
  }
  auto* st = static_cast<typename Driver::fd_state*>(op.fd->driver_state);
  int res = attempt(st, op);
  if (res == would_block && (st || (st = d.watch(*op.fd, &res)))) {
    park(*st, op);
    d.parked(*st, op);
    return false;
  }
  op.result = res;
  return true;
}

/// submit_inline for a readiness driver: a socket op is tried now, and parked if it would
/// block; anything else takes the driver's submit().
template <class Driver, class Op>
[[gnu::always_inline]] inline bool submit_inline(Driver& d, Op& op, std::size_t& in_flight) noexcept {
  if constexpr (std::is_same_v<Op, op_base>) {
    if (category_of(op.kind) != op_category::socket) [[unlikely]] {
      d.submit(op);
      return false;
    }
  }
  if (try_socket(d, op)) return true;
  ++in_flight;
  return false;
}

/// Retries the head of `list` until it is empty or the head would block (edge-triggered epoll
/// reports the next edge only after a call has seen EAGAIN). Inline into on_ready: a busy
/// socket's every message passes here.
[[gnu::always_inline]] inline void retry(fd_queues& q, op_list& list, const sink& s) noexcept {
  while (op_base* op = list.front()) {
    // A stream read, the usual waiter, without the switch over every kind.
    int res;
    if (op->kind == op_kind::recv) {
      auto& recv = static_cast<recv_op&>(*op);
      res = perform(recv);
      note_recv(q, recv, res);
    } else if (op->kind == op_kind::recv_pooled) {
      auto& recv = static_cast<recv_pooled_op&>(*op);
      res = perform(recv);
      note_recv(q, recv, res);
    } else {
      res = perform(*op);
    }
    if (res == would_block) return;
    list.remove_front();
    s.finish(*op, res);
  }
}

/// Finishes the parked poll ops whose events are present (one poll(2) for all of them).
void check_pollers(fd_queues& q, const sink& s) noexcept;

/// Retries parked ops after a readiness event: readers on ready_read, writers on ready_write,
/// in FIFO order until one would block; every poller is checked with one poll(2). Inline in
/// each driver's event loop.
[[gnu::always_inline]] inline void on_ready(fd_queues& q, unsigned ready, const sink& s) noexcept {
  if (ready & ready_hup) q.hung_up = true;
  if (ready & ready_read) {
    q.read_drained = false;
    if (!q.readers.empty()) retry(q, q.readers, s);
  }
  // (an edge for new data says writable too: usually nobody waits for that)
  if ((ready & ready_write) && !q.writers.empty()) retry(q, q.writers, s);
  if (!q.pollers.empty()) [[unlikely]] check_pollers(q, s);
}

/// If op is parked in q: removes it, finishes it with -ECANCELED, returns true.
bool cancel(fd_queues& q, op_base& op, const sink& s) noexcept;

/// Finishes every parked op with `res` (the descriptor is going away, or cannot be watched).
void fail_all(fd_queues& q, int res, const sink& s) noexcept;

/// What the parked ops wait for, as poll(2) bits among POLLIN, POLLOUT, POLLRDHUP, POLLPRI.
std::uint32_t interest(const fd_queues& q) noexcept;

}  // namespace corio::detail::readiness
