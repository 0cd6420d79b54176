// backend_probe: constructs a corio::runtime with a driver policy and prints what it got, so
// tests can check the choice in a child (under deny_io_uring, or with CORIO_DRIVER set) without
// touching their own process.
//
//   backend_probe [prefer_io_uring|require_io_uring|require_epoll]
// Prints one line and exits 0: "ok BACKEND | REASON" or "error CATEGORY:VALUE | MESSAGE".
#include <corio/corio.hpp>

#include <cstdio>
#include <string_view>
#include <system_error>

int main(int argc, char** argv) {
  corio::runtime_options options;
  if (argc > 1) {
    std::string_view p = argv[1];
    if (p == "require_io_uring") options.driver_policy = corio::driver_policy::require_io_uring;
    else if (p == "require_epoll") options.driver_policy = corio::driver_policy::require_epoll;
    else if (p != "prefer_io_uring") {
      std::fprintf(stderr, "usage: backend_probe [prefer_io_uring|require_io_uring|require_epoll]\n");
      return 2;
    }
  }
  try {
    corio::runtime rt(options);
    auto backend = rt.backend();
    auto reason = rt.backend_reason();
    std::printf("ok %.*s | %.*s\n", static_cast<int>(backend.size()), backend.data(), static_cast<int>(reason.size()),
                reason.data());
  } catch (const std::system_error& e) {
    std::printf("error %s:%d | %s\n", e.code().category().name(), e.code().value(), e.what());
  }
  return 0;
}
