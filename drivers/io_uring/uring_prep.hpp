#pragma once

#include <corio/detail/fd_record.hpp>

#include "drivers/syscall.hpp"

#include <liburing.h>
#include <sys/socket.h>

namespace corio::detail {

/// user_data of the SQEs that are not a plain operation. Operations are 8-byte aligned, so a
/// plain one never has a low bit set and the reaper tells every other kind with one test.
inline constexpr std::uint64_t uring_tag_mask = 7;
inline constexpr std::uint64_t uring_tag_wake = 1;    ///< the eventfd read that wakes the loop
inline constexpr std::uint64_t uring_tag_pooled = 2;  ///< |'d into a pooled read's address while it polls
inline constexpr std::uint64_t uring_tag_ignore = 4;  ///< a cancel request's own completion
static_assert(alignof(op_base) >= 8);

struct recv_pooled_op;
/// A pooled read's SQE for its current step, user_data tagged (uring_pooled.cpp).
void uring_prep_pooled(io_uring_sqe* sqe, recv_pooled_op& op) noexcept;
inline void uring_prep(io_uring_sqe* sqe, recv_pooled_op& op) noexcept { uring_prep_pooled(sqe, op); }

/// Fills sqe for op (user_data = &op): any operation, with one switch over its kind.
void uring_prep(io_uring_sqe* sqe, op_base& op) noexcept;

// The operations a server runs per message, prepared inline by the typed submit path
// (uring_driver::submit(recv_op&) ...): no switch, no call.
inline void uring_prep(io_uring_sqe* sqe, recv_op& op) noexcept {
  io_uring_prep_recv(sqe, op_fd(op), op.buf, static_cast<unsigned>(clamp_len(op.len)), op.flags);
  io_uring_sqe_set_data(sqe, &op);
}
inline void uring_prep(io_uring_sqe* sqe, send_op& op) noexcept {
  io_uring_prep_send(sqe, op_fd(op), op.buf, static_cast<unsigned>(clamp_len(op.len)), op.flags | MSG_NOSIGNAL);
  io_uring_sqe_set_data(sqe, &op);
}

/// An opcode the driver issues, with its name for messages.
struct uring_opcode {
  int code;
  const char* name;
};
/// Every opcode uring_prep and the driver issue (uring_prep.cpp: keep it in step with the switch).
/// The auto driver falls back to epoll when the kernel's probe lacks one of them.
extern const uring_opcode uring_opcodes_used[];
extern const std::size_t uring_opcodes_used_count;

}  // namespace corio::detail
