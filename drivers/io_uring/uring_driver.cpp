#include "drivers/io_uring/uring_driver.hpp"

#include "drivers/blocking_pool/pool_ops.hpp"

#include <corio/detail/fd_record.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace corio::detail {

namespace {

std::string refusal_message(int err) {
  std::string msg = "corio: cannot create an io_uring instance (io_uring_queue_init: ";
  msg += std::strerror(err);
  msg += ")";
  if (err == EPERM || err == ENOSYS || err == EACCES) {
    msg += ". io_uring is refused here (seccomp profile such as Docker's, "
           "kernel.io_uring_disabled, or an old kernel): build corio with "
           "-DCORIO_BACKEND=auto (chooses at run time, falling back to epoll), "
           "or with -DCORIO_BACKEND=epoll or libuv";
  } else if (err == ENOMEM) {
    msg += ". The locked-memory limit (ulimit -l) may be too low for the ring";
  }
  return msg;
}

}  // namespace

uring_driver::uring_driver(completion_queue& done, unsigned entries, unsigned pool_threads)
    : done_(done),
      pool_(pool_threads, perform_pool_op, [](void* self) noexcept { static_cast<uring_driver*>(self)->wake(); },
            this) {
  // The fastest setup the kernel accepts: one issuer, completions run when we ask for them.
  // TASKRUN_FLAG: the kernel raises IORING_SQ_TASKRUN when completions wait for us (flush()).
  const unsigned attempts[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int rc = -EINVAL;
  for (unsigned flags : attempts) {
    io_uring_params params{};
    params.flags = flags | IORING_SETUP_CQSIZE;
    params.cq_entries = entries * 4;
    rc = io_uring_queue_init_params(entries, &ring_, &params);
    if (rc == 0) {
      defer_taskrun_ = (flags & IORING_SETUP_DEFER_TASKRUN) != 0;
      taskrun_flag_ = (flags & IORING_SETUP_TASKRUN_FLAG) != 0;
      break;
    }
    if (rc != -EINVAL) break;  // EPERM, ENOMEM...: trying other flags will not help
  }
  if (rc < 0) throw uring_setup_error(-rc, std::system_category(), refusal_message(-rc));
  // Best effort: saves an fd lookup per io_uring_enter (enter_ring passes the flag it needs).
  ring_registered_ = io_uring_register_ring_fd(&ring_) == 1;
  // CORIO_URING_NO_CANCEL_FD=1: behave as on a kernel before 5.19 (ci/test runs the close
  // tests so, for the listed fallback).
  const char* no_cancel_fd = std::getenv("CORIO_URING_NO_CANCEL_FD");
  cancel_by_fd_ = !(no_cancel_fd && *no_cancel_fd == '1') && probe_cancel_by_fd();
  // CORIO_URING_NO_BUF_RING=1: pooled reads as on a kernel before 5.19 (poll, then receive).
  const char* no_buf_ring = std::getenv("CORIO_URING_NO_BUF_RING");
  buf_rings_ = !(no_buf_ring && *no_buf_ring == '1');

  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);  // blocking on purpose: io_uring polls it for us
  if (wake_fd_ < 0) {
    int err = errno;
    io_uring_queue_exit(&ring_);
    throw std::system_error(err, std::system_category(), "corio: eventfd");
  }
  arm_wake();
}

uring_driver::~uring_driver() {
  pool_.stop();  // no worker may write to wake_fd_ once it is closed
  io_uring_queue_exit(&ring_);
  ::close(wake_fd_);
}

std::string uring_driver::missing_opcode() {
  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (!probe) return "the opcode probe (IORING_REGISTER_PROBE, Linux 5.6)";
  std::string missing;
  for (std::size_t i = 0; i < uring_opcodes_used_count && missing.empty(); ++i) {
    if (!io_uring_opcode_supported(probe, uring_opcodes_used[i].code)) missing = uring_opcodes_used[i].name;
  }
  io_uring_free_probe(probe);
  return missing;
}

io_uring_sqe* uring_driver::next_sqe_full() noexcept {
  io_uring_sq& sq = ring_.sq;
  sq_head_ = io_uring_smp_load_acquire(sq.khead);
  while (sq.sqe_tail - sq_head_ >= sq.ring_entries) {  // really full: hand it to the kernel
    io_uring_submit(&ring_);
    sq_head_ = io_uring_smp_load_acquire(sq.khead);
  }
  return &sq.sqes[sq.sqe_tail++ & sq.ring_mask];
}

// A cancel-by-descriptor of fd -1, waited for: -EBADF where the flag is known, -EINVAL where
// it is not (before 5.19). Runs before anything else is in the ring.
bool uring_driver::probe_cancel_by_fd() noexcept {
  io_uring_sqe* probe = next_sqe();
  io_uring_prep_cancel_fd(probe, -1, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(probe, tag_ignore);
  io_uring_cqe* cqe = nullptr;
  if (io_uring_submit_and_wait(&ring_, 1) < 0 || io_uring_peek_cqe(&ring_, &cqe) != 0) return false;
  const bool known = cqe->res != -EINVAL;
  io_uring_cqe_seen(&ring_, cqe);
  return known;
}

void uring_driver::cancel_fd(fd_record& r) noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel_fd(sqe, r.fd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(sqe, tag_ignore);
}

void uring_driver::arm_wake() noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_buf_, sizeof(wake_buf_), 0);
  io_uring_sqe_set_data64(sqe, tag_wake);
}

void uring_driver::cancel(op_base& op) noexcept {
  if (category_of(op.kind) == op_category::blocking) return cancel_pool(op);
  std::uint64_t key = reinterpret_cast<std::uint64_t>(&op);
  // A pooled read waiting for data is known to the kernel by its tagged address.
  if (op.kind == op_kind::recv_pooled && static_cast<recv_pooled_op&>(op).buf == no_buffer) key |= uring_tag_pooled;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(sqe, key, 0);
  io_uring_sqe_set_data64(sqe, tag_ignore);
}

void uring_driver::wake() noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

void uring_driver::after_wake() noexcept {
  rearm_wake_ = false;
  arm_wake();
  if (pool_jobs_ > 0) drain_pool();  // pool workers signal through the same eventfd
}

}  // namespace corio::detail
