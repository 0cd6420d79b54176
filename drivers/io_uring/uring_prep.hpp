#pragma once

#include <corio/detail/ops.hpp>

#include <liburing.h>

namespace corio::detail {

/// Fills sqe for op (user_data = &op).
void uring_prep(io_uring_sqe* sqe, op_base& op) noexcept;

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
