#include <corio/stream.hpp>
#include <corio/time.hpp>

#include <array>
#include <poll.h>

namespace corio::detail {

namespace {
vector_awaiter vector_op(op_kind kind, fd_record* r, std::span<const ::iovec> iov) noexcept {
  vector_awaiter a(r);
  a.op.kind = kind;
  a.op.msg.msg_iov = const_cast<::iovec*>(iov.data());  // msghdr is not const-correct
  a.op.msg.msg_iovlen = iov.size();
  return a;
}
}  // namespace

vector_awaiter stream_readv(fd_record* r, std::span<const ::iovec> iov) noexcept {
  return vector_op(op_kind::recvmsg, r, iov);
}

vector_awaiter stream_writev(fd_record* r, std::span<const ::iovec> iov) noexcept {
  return vector_op(op_kind::sendmsg, r, iov);
}

shutdown_awaiter stream_shutdown(fd_record* r, shutdown_how how) noexcept {
  shutdown_awaiter a(r);
  a.op.how = static_cast<int>(how);
  return a;
}

closed_awaiter stream_closed(fd_record* r) noexcept {
  closed_awaiter a(r);
  a.op.events = POLLRDHUP;  // POLLHUP and POLLERR are always reported
  return a;
}

task<result<close_outcome>> stream_graceful_close(fd_handle h, std::chrono::steady_clock::time_point deadline) {
  if (!h.valid()) co_return fail(errc::closed_handle);
  fd_record* r = h.record();
  close_outcome outcome = close_outcome::deadline_passed;
  if (auto s = co_await stream_shutdown(r, shutdown_how::write); !s && s.error() != std::errc::not_connected) {
    co_await h.close();
    co_return tl::unexpected(s.error());
  }
  std::array<std::byte, 4096> sink;
  for (;;) {
    auto left = deadline - clock::now();
    if (left <= clock::duration::zero()) break;
    auto n = co_await timeout(left, stream_read(r, sink));
    if (!n) break;  // timed out, reset, or another error: close anyway
    if (*n == 0) {
      outcome = close_outcome::peer_finished;
      break;
    }
  }
  if (auto c = co_await h.close(); !c) co_return tl::unexpected(c.error());
  co_return outcome;
}

}  // namespace corio::detail
