// The io_uring driver: every operation is native. Submissions are queued as SQEs and flushed
// with one io_uring_enter per loop turn (submit-and-wait); completions are reaped in a batch.
#pragma once

#include "core/src/node_queue.hpp"
#include "drivers/blocking_pool/blocking_pool.hpp"
#include "drivers/io_uring/uring_prep.hpp"

#include <corio/detail/pool_state.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <liburing.h>
#include <string>
#include <system_error>
#include <vector>

namespace corio::detail {

struct fd_record;

/// What uring_driver throws when io_uring_setup itself fails (code(): the errno). Other failures
/// (eventfd...) are plain std::system_error. Lets the auto driver tell a refusal from the rest.
struct uring_setup_error : std::system_error {
  using std::system_error::system_error;
};

class uring_driver {
  /// For run_once() and flush() without a handler: completions go to the completion queue.
  struct queue_each {
    completion_queue& done;
    void operator()(op_base& op) const noexcept { done.push(op); }
  };

 public:
  static constexpr const char* name = "io_uring";

  /// Throws uring_setup_error when the kernel refuses the ring, std::system_error otherwise.
  uring_driver(completion_queue& done, unsigned entries, unsigned pool_threads);
  ~uring_driver();
  uring_driver(const uring_driver&) = delete;
  uring_driver& operator=(const uring_driver&) = delete;

  /// Any operation: a blocking one to the pool, the others to the SQE through one switch over
  /// its kind (uring_prep, out of line); this part inline in the core's start path.
  void submit(op_base& op) noexcept {
    if (category_of(op.kind) == op_category::blocking) [[unlikely]] return submit_pool(op);
    submit_typed(op);
  }
  /// The per-message stream operations, typed: inlined into the core's start_op for them.
  void submit(recv_op& op) noexcept { submit_typed(op); }
  void submit(send_op& op) noexcept { submit_typed(op); }
  void submit(recv_pooled_op& op) noexcept { submit_typed(op); }
  void cancel(op_base& op) noexcept;
  /// Pooled reads (uring_pooled.cpp): a pool's free buffers go to a provided buffer ring of
  /// this ring (kernels since 5.19), so that the kernel picks a buffer only once data has come.
  /// False where the kernel has none: the pool's reads then poll, then receive.
  bool attach_pool(pool_state& p) noexcept;
  void give_back(pool_state& p, buffer_id id) noexcept;
  void detach_pool(pool_state& p) noexcept;
  /// Kernels since 5.19 cancel every request on a descriptor with one SQE
  /// (IORING_ASYNC_CANCEL_FD | ALL, probed at construction): the core then keeps no list of
  /// an open descriptor's operations, only their count.
  bool cancels_by_fd(const op_base&) const noexcept { return cancel_by_fd_; }
  void cancel_fd(fd_record& r) noexcept;
  /// Submits, waits up to timeout_ns (-1: until a completion) and reaps one batch: each
  /// completed operation, result set, is handed to each(op) as it is reaped, its ring slot
  /// already released. The core resumes the waiter right there (no queue between the ring and
  /// the coroutine); it calls this only from the loop's top level, never from a coroutine.
  /// Operations finished elsewhere (the pool, a withdrawn job) still go to the completion queue.
  template <class Each>
  void run_once(std::int64_t timeout_ns, Each&& each) noexcept {
    enter(timeout_ns);
    reap(each);
  }
  void run_once(std::int64_t timeout_ns) noexcept { run_once(timeout_ns, queue_each{done_}); }
  /// Between polls (tasks still ready): submits the queued SQEs without waiting and reaps what
  /// completed inline; runs the kernel's pending completions too when it flags any.
  template <class Each>
  void flush(Each&& each) noexcept {
    if (submit_queued()) reap(each);
  }
  void flush() noexcept { flush(queue_each{done_}); }
  void wake() noexcept;
  std::size_t in_flight() const noexcept { return in_flight_; }
  void release(fd_record&) noexcept {}  // no per-descriptor state

  /// Asks the kernel which opcodes this ring supports (IORING_REGISTER_PROBE). Empty when every
  /// opcode corio uses is there; else names the first one missing ("IORING_OP_SHUTDOWN"), or
  /// says that the probe itself failed (kernels before 5.6).
  std::string missing_opcode();

 private:
  static constexpr std::uint64_t tag_ignore = uring_tag_ignore;
  static constexpr std::uint64_t tag_wake = uring_tag_wake;

  /// A free SQE. liburing's io_uring_get_sqe reads the kernel's head each time; the head only
  /// moves when we submit, so a copy is read again only when the ring looks full
  /// (next_sqe_full, which submits when it is).
  io_uring_sqe* next_sqe() noexcept {
    io_uring_sq& sq = ring_.sq;
    if (sq.sqe_tail - sq_head_ >= sq.ring_entries) [[unlikely]] return next_sqe_full();
    return &sq.sqes[sq.sqe_tail++ & sq.ring_mask];
  }
  io_uring_sqe* next_sqe_full() noexcept;
  template <class Op>
  void submit_typed(Op& op) noexcept {
    uring_prep(next_sqe(), op);
    ++in_flight_;
  }
  void arm_wake() noexcept;
  bool probe_cancel_by_fd() noexcept;
  /// run_once's and flush's system call (uring_enter.cpp).
  void enter(std::int64_t timeout_ns) noexcept;
  bool submit_queued() noexcept;  ///< false when there was nothing to submit and nothing to reap
  [[gnu::noinline]] void wait_timed(unsigned to_submit, std::int64_t timeout_ns) noexcept;
  /// Hands the queued SQEs to the kernel's view of the ring; how many it has not consumed yet.
  unsigned publish_sq() noexcept;
  /// One io_uring_enter on this ring: -errno on failure.
  int enter_ring(unsigned to_submit, unsigned wait_nr, unsigned flags, const void* arg = nullptr,
                 std::size_t arg_size = 0) noexcept;
  /// One batch: the tail read once (liburing's for_each re-reads it with a barrier per CQE);
  /// each CQE copied out and its slot released before each(op) runs, so that what a resumed
  /// coroutine submits or waits for can never see a slot still in use.
  template <class Each>
  [[gnu::always_inline]] void reap(Each& each) noexcept {
    io_uring_cq& cq = ring_.cq;
    unsigned head = *cq.khead;
    const unsigned tail = io_uring_smp_load_acquire(cq.ktail);
    while (head != tail) {
      const io_uring_cqe& cqe = cq.cqes[head & cq.ring_mask];
      const std::uint64_t data = cqe.user_data;
      const int res = cqe.res;
      io_uring_smp_store_release(cq.khead, ++head);
      if (data & uring_tag_mask) [[unlikely]] {  // not a plain operation (uring_prep.hpp)
        if (op_base* op = reap_tagged(data, res, cqe.flags)) each(*op);
        continue;
      }
      --in_flight_;
      auto& op = *reinterpret_cast<op_base*>(data);
      op.result = res;
      each(op);
    }
    if (rearm_wake_) [[unlikely]] after_wake();
  }
  void after_wake() noexcept;
  /// A completion whose user_data is tagged (uring_prep.hpp), out of the reap loop: the wake
  /// (noted in rearm_wake_), a cancel's own, or a step of a pooled read. The pooled read when
  /// its waiter is to be resumed; null otherwise (nothing to resume, or its next step was
  /// queued). uring_pooled.cpp.
  [[gnu::noinline]] op_base* reap_tagged(std::uint64_t data, int res, std::uint32_t flags) noexcept;
  op_base* pooled_step(recv_pooled_op& op, int res, std::uint32_t flags) noexcept;
  // blocking operations (getaddrinfo) on the pool (uring_pool.cpp)
  void submit_pool(op_base& op) noexcept;
  void cancel_pool(op_base& op) noexcept;
  void drain_pool() noexcept;

  io_uring ring_{};
  unsigned sq_head_ = 0;  ///< the kernel's SQ head when last read (next_sqe)
  completion_queue& done_;
  std::size_t in_flight_ = 0;
  bool rearm_wake_ = false;  ///< the wake's read completed in this batch (reap)
  bool buf_rings_ = true;    ///< provided buffer rings: not yet refused by the kernel
  std::uint16_t next_group_ = 0;             ///< buffer group ids never used yet
  std::vector<std::uint16_t> free_groups_;  ///< and those of pools gone
  bool defer_taskrun_ = false;
  bool taskrun_flag_ = false;  ///< IORING_SQ_TASKRUN tells that completions wait (flush)
  bool cancel_by_fd_ = false;  ///< IORING_ASYNC_CANCEL_FD works (probe_cancel_by_fd)
  bool ring_registered_ = false;  ///< ring_.enter_ring_fd is a registered index
  int wake_fd_ = -1;
  std::uint64_t wake_buf_ = 0;
  std::size_t pool_jobs_ = 0;  ///< operations handed to pool_ and not yet drained
  /// Threads start on the first blocking operation only; a worker's notification is a write
  /// to wake_fd_, whose read the ring already polls: no extra system call per I/O operation.
  blocking_pool pool_;
};

}  // namespace corio::detail
