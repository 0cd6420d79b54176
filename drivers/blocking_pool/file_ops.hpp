// File and path operations performed as plain blocking system calls, on a pool thread.
#pragma once

#include <corio/detail/ops.hpp>

namespace corio::detail {

/// Performs a file or path operation now (blocking): its result, >= 0 or -errno. openat adds
/// O_CLOEXEC; reads and writes are positional and clamped to max_rw_count (drivers/syscall.hpp).
int perform_file_op(op_base& op) noexcept;

}  // namespace corio::detail
