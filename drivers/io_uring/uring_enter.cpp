// The ring's one system call, made here rather than through liburing's submit functions:
// those also serve SQPOLL and IOPOLL rings (which corio never creates) and work out from the
// ring's flags, every call, what this driver knows at setup. That was ~40 user-space
// instructions of each turn at one connection; publishing the tail and entering is ~15.
#include "drivers/io_uring/uring_driver.hpp"

#include <cerrno>
#include <csignal>
#include <sys/syscall.h>
#include <unistd.h>

namespace corio::detail {

namespace {

// io_uring_enter(2): -errno on failure. On x86-64 the instruction itself, since libc's
// syscall() is variadic (every argument moved one register over) and goes through errno.
long sys_io_uring_enter(int fd, unsigned to_submit, unsigned wait_nr, unsigned flags, const void* arg,
                        std::size_t arg_size) noexcept {
#if defined(__x86_64__)
  long ret;
  register long r10 __asm__("r10") = flags;
  register const void* r8 __asm__("r8") = arg;
  register std::size_t r9 __asm__("r9") = arg_size;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "0"(static_cast<long>(__NR_io_uring_enter)), "D"(fd), "S"(to_submit), "d"(wait_nr), "r"(r10),
                     "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
#else
  const long rc = ::syscall(__NR_io_uring_enter, fd, to_submit, wait_nr, flags, arg, arg_size);
  return rc < 0 ? -errno : rc;
#endif
}

}  // namespace

unsigned uring_driver::publish_sq() noexcept {
  io_uring_sq& sq = ring_.sq;
  const unsigned tail = sq.sqe_tail;
  if (sq.sqe_head != tail) {
    sq.sqe_head = tail;
    // Without SQPOLL the kernel reads the tail only inside io_uring_enter, which is a full
    // barrier; the release store is what liburing does for SQPOLL and costs nothing on x86.
    io_uring_smp_store_release(sq.ktail, tail);
  }
  return tail - IO_URING_READ_ONCE(*sq.khead);
}

int uring_driver::enter_ring(unsigned to_submit, unsigned wait_nr, unsigned flags, const void* arg,
                             std::size_t arg_size) noexcept {
  if (ring_registered_) flags |= IORING_ENTER_REGISTERED_RING;
  return static_cast<int>(sys_io_uring_enter(ring_.enter_ring_fd, to_submit, wait_nr, flags, arg, arg_size));
}

void uring_driver::enter(std::int64_t timeout_ns) noexcept {
  const unsigned to_submit = publish_sq();
  if (timeout_ns == 0) {
    // Completions of a DEFER_TASKRUN ring are posted only when we ask (GETEVENTS).
    if (to_submit > 0 || (defer_taskrun_ && in_flight_ > 0)) enter_ring(to_submit, 0, IORING_ENTER_GETEVENTS);
    return;
  }
  // Nothing to hand over and completions already posted (a ring without DEFER_TASKRUN posts
  // them at any time): the caller reaps them without a system call.
  if (to_submit == 0 && io_uring_cq_ready(&ring_) > 0) return;
  if (timeout_ns < 0) {
    enter_ring(to_submit, 1, IORING_ENTER_GETEVENTS);
    return;
  }
  wait_timed(to_submit, timeout_ns);
}

// Its own function: the untimed wait, every turn of a busy loop, needs no stack frame.
void uring_driver::wait_timed(unsigned to_submit, std::int64_t timeout_ns) noexcept {
  __kernel_timespec ts{};
  ts.tv_sec = timeout_ns / 1'000'000'000;
  ts.tv_nsec = timeout_ns % 1'000'000'000;
  if (ring_.features & IORING_FEAT_EXT_ARG) {  // 5.11: the timeout rides on the enter itself
    io_uring_getevents_arg arg{};
    arg.sigmask_sz = _NSIG / 8;
    arg.ts = reinterpret_cast<std::uint64_t>(&ts);
    enter_ring(to_submit, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof(arg));
    return;
  }
  io_uring_cqe* cqe = nullptr;  // older kernels: liburing queues a timeout SQE for it
  io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
}

bool uring_driver::submit_queued() noexcept {
  // Completions waiting as task work (the flag is a load from the shared ring, no system
  // call): run them with the submission, as run_once(0) would. Otherwise only submit: one
  // io_uring_enter without GETEVENTS (unless completions overflowed: GETEVENTS flushes them),
  // and nothing at all when the ring is empty.
  const unsigned kflags = IO_URING_READ_ONCE(*ring_.sq.kflags);
  const unsigned to_submit = publish_sq();
  if (taskrun_flag_ && (kflags & IORING_SQ_TASKRUN)) {
    enter_ring(to_submit, 0, IORING_ENTER_GETEVENTS);
  } else if (to_submit > 0) {
    enter_ring(to_submit, 0, (kflags & IORING_SQ_CQ_OVERFLOW) ? IORING_ENTER_GETEVENTS : 0);
  } else {
    return false;
  }
  return true;
}

}  // namespace corio::detail
