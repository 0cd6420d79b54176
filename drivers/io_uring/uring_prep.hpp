#pragma once

#include <corio/detail/ops.hpp>

#include <liburing.h>

namespace corio::detail {

/// Fills sqe for op (user_data = &op).
void uring_prep(io_uring_sqe* sqe, op_base& op) noexcept;

}  // namespace corio::detail
