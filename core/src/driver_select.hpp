// Choosing the driver a runtime constructs: runtime_options::driver_policy, overridden by the
// environment variable CORIO_DRIVER, against what this build has (one driver, or io_uring and
// epoll with CORIO_BACKEND=auto).
#pragma once

#include <corio/runtime.hpp>

#include "core/src/driver.hpp"

#include <string>

namespace corio::detail {

/// Constructs the driver for `options` in place (guaranteed elision: drivers do not move) and
/// sets `reason` to what runtime::backend_reason() reports. Throws std::system_error:
/// errc::invalid_argument for an unknown CORIO_DRIVER, errc::unsupported for a driver this build
/// lacks, or the driver's own error.
driver make_driver(completion_queue& done, const runtime_options& options, std::string& reason);

/// The name of the driver in use ("io_uring", "epoll", "libuv").
template <class D = driver>
const char* active_driver_name(const D& d) noexcept {
  if constexpr (requires { d.active_name(); }) {
    return d.active_name();
  } else {
    return D::name;
  }
}

/// Why that driver: the auto driver's own account, else what make_driver stored.
template <class D = driver>
const std::string& active_driver_reason(const D& d, const std::string& stored) noexcept {
  if constexpr (requires { d.reason(); }) {
    return d.reason();
  } else {
    return stored;
  }
}

}  // namespace corio::detail
