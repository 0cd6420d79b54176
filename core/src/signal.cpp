#include <corio/detail/op_awaiter.hpp>
#include <corio/signal.hpp>

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace corio {

result<signal_set> signal_set::create(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  unsigned long long bits = 0;
  for (int s : signals) {
    if (s <= 0 || s > 64 || sigaddset(&mask, s) != 0) return fail(errc::invalid_argument);
    bits |= 1ull << (s - 1);
  }
  if (int err = pthread_sigmask(SIG_BLOCK, &mask, nullptr); err != 0) return fail_errno(err);
  int fd = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return fail_errno(errno);
  auto rec = detail::adopt_fd(fd, detail::fd_kind::other);
  if (!rec) return tl::unexpected(rec.error());
  signal_set set;
  set.h_ = detail::fd_handle(*rec);
  set.blocked_ = bits;
  return set;
}

signal_set::~signal_set() {
  if (!h_.valid()) return;
  h_.reset();
  sigset_t mask;
  sigemptyset(&mask);
  for (int s = 1; s <= 64; ++s) {
    if (blocked_ & (1ull << (s - 1))) sigaddset(&mask, s);
  }
  pthread_sigmask(SIG_UNBLOCK, &mask, nullptr);
}

task<result<int>> signal_set::wait() {
  for (;;) {
    if (!h_.valid()) co_return fail(errc::closed_handle);
    signalfd_siginfo info;
    ssize_t n = ::read(h_.native(), &info, sizeof(info));
    if (n == static_cast<ssize_t>(sizeof(info))) co_return static_cast<int>(info.ssi_signo);
    if (n < 0 && errno != EAGAIN && errno != EINTR) co_return fail_errno(errno);
    // Nothing pending: wait until the signalfd is readable (the same poll op on every driver).
    detail::op_awaiter<detail::poll_op, detail::int_result> ready(h_.record());
    ready.op.events = POLLIN;
    if (auto r = co_await ready; !r) co_return tl::unexpected(r.error());
  }
}

}  // namespace corio
