// What a blocking-pool thread runs: file and path operations (file_ops.hpp) and blocking
// library calls such as getaddrinfo. One entry point for every driver that owns a pool.
#pragma once

#include <corio/detail/ops.hpp>

namespace corio::detail {

/// Performs getaddrinfo now (blocking): 0 with op.out set, or < 0 (see getaddrinfo_op).
int perform_getaddrinfo(getaddrinfo_op& op) noexcept;

/// Performs a file, path or blocking operation now: its result, >= 0 or -errno.
int perform_pool_op(op_base& op) noexcept;

}  // namespace corio::detail
