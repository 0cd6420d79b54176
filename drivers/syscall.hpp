// For drivers that make system calls themselves (epoll, libuv, the blocking pool, io_uring's SQE
// lengths): the kernel's cap on one read or write, and a retry on EINTR.
#pragma once

#include <cerrno>
#include <cstddef>

namespace corio::detail {

/// The most one read or write moves (Linux's MAX_RW_COUNT): a longer request is capped by the
/// kernel anyway, and capping it here keeps it within io_uring's 32-bit SQE length.
inline constexpr std::size_t max_rw_count = 0x7ffff000u;

inline std::size_t clamp_len(std::size_t len) noexcept { return len > max_rw_count ? max_rw_count : len; }

/// The value of a system call, retried while it fails with EINTR; -errno when it fails.
template <class F>
[[gnu::always_inline]] inline int retry_eintr(F&& call) noexcept {
  for (;;) {
    auto rc = call();
    if (rc >= 0) return static_cast<int>(rc);
    if (errno != EINTR) return -errno;
  }
}

}  // namespace corio::detail
