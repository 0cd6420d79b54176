// The driver policy: what the runtime asks for (driver_policy, CORIO_DRIVER) and what this
// build can give.
#include "core/src/driver_select.hpp"

#include <cstdlib>
#include <string_view>
#include <system_error>

namespace corio::detail {

namespace {

/// What was asked for, after the environment: a driver name or "" (the policy's preference),
/// and who asked, for messages and backend_reason().
struct request {
  std::string_view wanted;  ///< "io_uring", "epoll", "libuv" or "" (prefer io_uring)
  std::string origin;       ///< "CORIO_DRIVER=epoll", "driver_policy::require_epoll" or ""
};

request read_request(driver_policy policy) {
  if (const char* env = std::getenv("CORIO_DRIVER"); env && *env) {
    const std::string_view v = env;
    for (std::string_view known : {"io_uring", "epoll", "libuv"}) {
      if (v == known) return {known, "CORIO_DRIVER=" + std::string(v)};
    }
    throw std::system_error(make_error_code(errc::invalid_argument),
                            "corio: CORIO_DRIVER=" + std::string(v) +
                                " names no driver (expected io_uring or epoll; unset it to use the default policy)");
  }
  switch (policy) {
    case driver_policy::prefer_io_uring:
      return {"", ""};
    case driver_policy::require_io_uring:
      return {"io_uring", "driver_policy::require_io_uring"};
    case driver_policy::require_epoll:
      return {"epoll", "driver_policy::require_epoll"};
  }
  throw std::system_error(make_error_code(errc::invalid_argument), "corio: invalid driver_policy value");
}

[[noreturn]] void unsupported(const request& r, const char* built) {
  throw std::system_error(make_error_code(errc::unsupported),
                          "corio: " + r.origin + " asks for " + std::string(r.wanted) + ", but this corio is " +
                              built + " (rebuild with -DCORIO_BACKEND=auto for io_uring with an epoll fallback)");
}

}  // namespace

driver make_driver(completion_queue& done, const runtime_options& options, std::string& reason) {
  const request r = read_request(options.driver_policy);
#if defined(CORIO_BACKEND_AUTO)
  driver_want want = driver_want::prefer_io_uring;
  if (r.wanted == "io_uring") {
    want = driver_want::io_uring;
  } else if (r.wanted == "epoll") {
    want = driver_want::epoll;
  } else if (!r.wanted.empty()) {
    unsupported(r, "built with CORIO_BACKEND=auto (io_uring and epoll only)");
  }
  (void)reason;  // the auto driver keeps its own (active_driver_reason)
  return driver(done, options.queue_entries, options.blocking_threads, want, r.origin);
#else
  const std::string built = std::string("built for ") + driver::name + " only (CORIO_BACKEND=" + driver::name + ")";
  if (!r.wanted.empty() && r.wanted != driver::name) unsupported(r, built.c_str());
  reason = r.origin.empty() ? built : r.origin + "; " + built;
  return driver(done, options.queue_entries, options.blocking_threads);
#endif
}

}  // namespace corio::detail
