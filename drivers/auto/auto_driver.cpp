// The auto driver's choice: probe io_uring by creating the ring this runtime will use and asking
// it for the opcodes corio issues; fall back to epoll on a refusal, never on a resource error.
#include "drivers/auto/auto_driver.hpp"

#include "drivers/io_uring/uring_prep.hpp"

#include <corio/result.hpp>

#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

namespace corio::detail {

namespace {

/// "EPERM" for EPERM: reasons name the errno the way the kernel headers do.
const char* errno_name(int err) noexcept {
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    default: return nullptr;
  }
}

std::string describe_errno(int err) {
  const char* n = errno_name(err);
  return n ? std::string(n) : "errno " + std::to_string(err) + " (" + std::strerror(err) + ")";
}

/// A refusal: seccomp or kernel.io_uring_disabled (EPERM), an LSM such as SELinux (EACCES), a
/// kernel without io_uring (ENOSYS), or one that rejects every setup we try (EINVAL).
bool is_refusal(int err) noexcept { return err == EPERM || err == EACCES || err == ENOSYS || err == EINVAL; }

}  // namespace

auto_driver::auto_driver(completion_queue& done, unsigned entries, unsigned pool_threads)
    : auto_driver(done, entries, pool_threads, driver_want::prefer_io_uring, std::string()) {}

auto_driver::auto_driver(completion_queue& done, unsigned entries, unsigned pool_threads, driver_want want,
                         const std::string& origin) {
  const std::string who = origin.empty() ? std::string() : origin + ": ";
  if (want == driver_want::epoll) {
    std::construct_at(&e_, done, entries, pool_threads);
    uring_ = false;
    reason_ = origin.empty() ? "driver_policy::require_epoll" : origin;
    return;
  }

  std::string refused;  // why io_uring is not used; empty while it still may be
  try {
    std::construct_at(&u_, done, entries, pool_threads);
    uring_ = true;
  } catch (const uring_setup_error& e) {
    const int err = e.code().value();
    if (want == driver_want::io_uring || !is_refusal(err)) {
      std::string hint;
      if (err == ENOMEM) {
        hint = " (the locked-memory limit, ulimit -l, may be too low for the ring; a resource error "
               "is not a reason to switch drivers)";
      } else if (is_refusal(err)) {
        hint = " (a seccomp profile such as Docker's, kernel.io_uring_disabled, or an old kernel; "
               "driver_policy::prefer_io_uring would fall back to epoll)";
      }
      throw std::system_error(e.code(), "corio: " + who + "io_uring refused: " + describe_errno(err) +
                                            " from io_uring_setup" + hint);
    }
    refused = "io_uring refused: " + describe_errno(err) + " from io_uring_setup";
  }
  if (uring_) {
    std::string missing;
    try {
      missing = u_.missing_opcode();
    } catch (...) {
      u_.~uring_driver();
      uring_ = false;
      throw;
    }
    if (missing.empty()) {
      reason_ = who + "io_uring: all " + std::to_string(uring_opcodes_used_count) + " probed opcodes supported";
      return;
    }
    u_.~uring_driver();
    uring_ = false;
    if (want == driver_want::io_uring) {
      throw std::system_error(make_error_code(errc::unsupported),
                              "corio: " + who + "io_uring lacks " + missing + ", which corio uses");
    }
    refused = "io_uring lacks " + missing;
  }
  std::construct_at(&e_, done, entries, pool_threads);
  reason_ = who + refused + "; using epoll";
}

auto_driver::~auto_driver() {
  if (uring_) {
    u_.~uring_driver();
  } else {
    e_.~epoll_driver();
  }
}

}  // namespace corio::detail
