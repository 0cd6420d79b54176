// Lifecycle, the wait, and per-descriptor registration of the epoll driver.
#include "drivers/epoll/epoll_driver.hpp"

#include "drivers/blocking_pool/pool_ops.hpp"

#include <corio/detail/fd_record.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace corio::detail {

namespace {

[[noreturn]] void fail(int err, const char* what) {
  throw std::system_error(err, std::system_category(), std::string("corio: epoll driver: ") + what);
}

// ET on all directions at once: registered once per descriptor, never modified on the data path.
constexpr std::uint32_t fd_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

}  // namespace

epoll_driver::epoll_driver(completion_queue& done, unsigned entries, unsigned pool_threads)
    : done_(done),
      pool_(pool_threads, perform_pool_op,
            [](void* self) noexcept { static_cast<epoll_driver*>(self)->wake(); }, this) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) fail(errno, "epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    int err = errno;
    ::close(epoll_fd_);
    fail(err, "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) < 0) {
    int err = errno;
    ::close(wake_fd_);
    ::close(epoll_fd_);
    fail(err, "epoll_ctl(eventfd)");
  }
  events_.resize(std::clamp(entries, 64u, 1024u));
  close_batch_ = entries ? entries : 1;
}

epoll_driver::~epoll_driver() {
  run_closes(SIZE_MAX);  // none by the core's contract (it drains first); never leak one
  pool_.stop();  // no worker may signal wake_fd_ once it is closed
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void epoll_driver::wake() noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));  // EAGAIN: already signalled
}

int epoll_driver::wait(std::int64_t timeout_ns) noexcept {
  const int max = static_cast<int>(events_.size());
  if (timeout_ns > 0 && have_pwait2_) {  // nanosecond precision where the kernel has it
    timespec ts{};
    ts.tv_sec = timeout_ns / 1'000'000'000;
    ts.tv_nsec = timeout_ns % 1'000'000'000;
    int n = ::epoll_pwait2(epoll_fd_, events_.data(), max, &ts, nullptr);
    if (n >= 0 || (errno != ENOSYS && errno != EPERM)) return n;
    have_pwait2_ = false;  // an old kernel, or a seccomp profile that does not know it
  }
  int ms = -1;
  if (timeout_ns == 0) {
    ms = 0;
  } else if (timeout_ns > 0) {  // rounded up: waking early would spin
    ms = static_cast<int>(std::min<std::int64_t>((timeout_ns + 999'999) / 1'000'000, 1'000'000'000));
  }
  return ::epoll_wait(epoll_fd_, events_.data(), max, ms);
}

void epoll_driver::run_once(std::int64_t timeout_ns) {
  run_closes(close_batch_);
  // Ops finished inside cancel() (called by a timer after the core collected) are already
  // queued, and closes may be left for the next turn: the core must not sleep meanwhile.
  if (!done_.empty() || !closes_.empty()) timeout_ns = 0;
  const int n = wait(timeout_ns);
  for (int i = 0; i < n; ++i) {
    const epoll_event& ev = events_[static_cast<std::size_t>(i)];
    if (ev.data.ptr == nullptr) {
      std::uint64_t count;
      [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof(count));
      continue;
    }
    unsigned ready = 0;
    if (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ready |= readiness::ready_read;
    if (ev.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ready |= readiness::ready_hup;
    if (ev.events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) ready |= readiness::ready_write;
    readiness::on_ready(*static_cast<readiness::fd_queues*>(ev.data.ptr), ready, sink());
  }
  if (pool_jobs_ > 0) drain_pool();
}

void epoll_driver::drain_pool() noexcept {
  op_list finished = pool_.take_done();
  while (op_base* op = finished.pop_front()) {
    --pool_jobs_;
    finish(*op, op->result);
  }
}

readiness::fd_queues* epoll_driver::watch(fd_record& r, int* err) noexcept {
  if (r.driver_state) return static_cast<readiness::fd_queues*>(r.driver_state);
  auto* q = new (std::nothrow) readiness::fd_queues;
  if (!q) {
    *err = -ENOMEM;
    return nullptr;
  }
  q->fd = r.fd;
  epoll_event ev{};
  ev.events = fd_events;
  ev.data.ptr = q;
  // Registering reports the current readiness, so nothing that arrived since the failed
  // attempt is missed.
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, r.fd, &ev) < 0 &&
      (errno != EEXIST || ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, r.fd, &ev) < 0)) {
    *err = -errno;
    delete q;
    return nullptr;
  }
  r.driver_state = q;
  return q;
}

void epoll_driver::forget(fd_record& r) noexcept {
  auto* q = static_cast<readiness::fd_queues*>(r.driver_state);
  if (!q) return;
  r.driver_state = nullptr;
  // Deregister before the descriptor closes: a duplicate of it elsewhere would keep the
  // registration, and its events would point at freed state.
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, r.fd, nullptr);
  readiness::fail_all(*q, -ECANCELED, sink());  // none by contract; never leave one behind
  delete q;
}

void epoll_driver::release(fd_record& r) noexcept { forget(r); }

}  // namespace corio::detail
