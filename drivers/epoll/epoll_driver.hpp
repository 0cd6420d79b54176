// The epoll driver: completion emulated on readiness. Socket operations are tried at once and,
// only if they would block, parked in per-descriptor queues (drivers/readiness) until an
// edge-triggered epoll event says to retry. Files, paths and getaddrinfo run on a lazily started blocking
// pool whose workers wake the loop through the same eventfd as wake(). Closes are queued and
// run by the next run_once, a bounded batch per turn, as an io_uring ring would.
#pragma once

#include "core/src/node_queue.hpp"
#include "drivers/blocking_pool/blocking_pool.hpp"
#include "drivers/readiness/fd_queues.hpp"

#include <cstddef>
#include <cstdint>
#include <sys/epoll.h>
#include <vector>

namespace corio::detail {

struct fd_record;

class epoll_driver {
 public:
  static constexpr const char* name = "epoll";

  /// Throws std::system_error naming the cause when epoll or eventfd is unavailable.
  /// pool_threads bounds the blocking pool (files); no thread starts before the first file op.
  epoll_driver(completion_queue& done, unsigned entries, unsigned pool_threads);
  /// Joins every pool worker and closes the epoll and event descriptors.
  ~epoll_driver();
  epoll_driver(const epoll_driver&) = delete;
  epoll_driver& operator=(const epoll_driver&) = delete;

  void submit(op_base& op) noexcept;
  /// Like submit(), except that a socket operation whose system call does not block is not
  /// queued: true, with op.result set (the core resumes nobody: its waiter goes on at once).
  /// Typed: recv_op and send_op go from the core's start_op to their system call inline.
  template <class Op>
  [[gnu::always_inline]] bool submit_inline(Op& op) noexcept {
    return readiness::submit_inline(*this, op, in_flight_);
  }
  void cancel(op_base& op) noexcept;
  /// Socket operations wait in the descriptor's own queues: cancel_fd reaches them all, and
  /// the core keeps no list of them. Files and paths run on a pool: those it lists.
  bool cancels_by_fd(const op_base& op) const noexcept { return category_of(op.kind) == op_category::socket; }
  void cancel_fd(fd_record& r) noexcept;
  void run_once(std::int64_t timeout_ns);
  void flush() noexcept {}  // submit() starts socket operations itself
  void wake() noexcept;
  std::size_t in_flight() const noexcept { return in_flight_; }
  /// Deregisters and frees the descriptor's state; the descriptor stays open.
  void release(fd_record& r) noexcept;

 private:
  readiness::sink sink() noexcept { return {done_, in_flight_}; }
  void finish(op_base& op, int res) noexcept { sink().finish(op, res); }

  // per category (epoll_submit.cpp)
  void submit_socket(op_base& op) noexcept;
  void submit_file(op_base& op) noexcept;
  void submit_close(op_base& op) noexcept;
  void run_closes(std::size_t max) noexcept;

  // per descriptor (epoll_driver.cpp)
  // For readiness::try_socket: the descriptor's queues, registered with epoll on first use
  // (null and *err on failure), and what a park needs besides (nothing: the registration is
  // edge-triggered for both directions, once).
  using fd_state = readiness::fd_queues;
  template <class D, class Op>
  friend bool readiness::try_socket(D&, Op&) noexcept;
  readiness::fd_queues* watch(fd_record& r, int* err) noexcept;
  void parked(readiness::fd_queues&, const op_base&) noexcept {}
  void forget(fd_record& r) noexcept;
  int wait(std::int64_t timeout_ns) noexcept;
  void drain_pool() noexcept;

  // ---- set once at construction ----
  completion_queue& done_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  ///< wake() and pool workers; level-triggered, data.ptr == nullptr

  // ---- loop thread only ----
  std::size_t in_flight_ = 0;
  std::size_t pool_jobs_ = 0;  ///< file and blocking ops handed to the pool and not yet drained
  op_list closes_;  ///< closes run by the next run_once calls, at most close_batch_ each
  std::size_t close_batch_ = 256;
  bool have_pwait2_ = true;
  std::vector<epoll_event> events_;

  // ---- shared with its workers (declared last: stopped before the descriptors close) ----
  blocking_pool pool_;
};

}  // namespace corio::detail
