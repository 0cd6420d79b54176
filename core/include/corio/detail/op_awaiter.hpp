// The one awaiter every I/O method returns: an operation, started on suspension, whose raw
// result is converted by `Convert` when the waiter resumes. No allocation; the operation lives
// in the awaiting coroutine's frame.
#pragma once

#include <corio/detail/fd_record.hpp>
#include <corio/detail/scheduler.hpp>
#include <corio/result.hpp>

#include <cstddef>

namespace corio::detail {

template <class Op, auto Convert>
class [[nodiscard]] op_awaiter {
 public:
  /// An operation on `fd` (null: a moved-from or closed handle, reported as closed_handle).
  explicit op_awaiter(fd_record* fd) noexcept {
    op.fd = fd;
    if (!fd) fail_now(errc::closed_handle);
  }
  /// An operation needing no descriptor (path operations).
  op_awaiter() noexcept = default;

  /// Completes the operation at once with an error, without reaching the driver.
  void fail_now(errc e) noexcept {
    op.result = errc_result(e);
    op.state = op_state::done;
  }
  void fail_now_errno(int err) noexcept {
    op.result = -err;
    op.state = op_state::done;
  }

  bool await_ready() const noexcept { return op.state == op_state::done; }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return start_op(op, h); }
  decltype(auto) await_resume() { return Convert(op); }

  Op op;
};

// ---- common conversions of a raw result ----

inline result<std::size_t> size_result(const op_base& op) noexcept {
  if (op.result < 0) return tl::unexpected(op_error(op.result));
  return static_cast<std::size_t>(op.result);
}

inline result<void> void_result(const op_base& op) noexcept {
  if (op.result < 0) return tl::unexpected(op_error(op.result));
  return {};
}

inline result<int> int_result(const op_base& op) noexcept {
  if (op.result < 0) return tl::unexpected(op_error(op.result));
  return op.result;
}

}  // namespace corio::detail
