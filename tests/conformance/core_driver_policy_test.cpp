// The driver policy: runtime_options::driver_policy, the CORIO_DRIVER override, backend() and
// backend_reason(), on every build (auto chooses; a single-driver build says it has no choice).
// The environment and seccomp cases run backend_probe in a child, so this process's environment
// and system-call filter are never touched.
#include "child_process.hpp"
#include "support.hpp"

#include <cerrno>
#include <linux/io_uring.h>
#include <string>
#include <string_view>
#include <sys/syscall.h>
#include <system_error>
#include <unistd.h>
#include <vector>

using namespace corio_test;

namespace {

const std::string built = CORIO_BUILT_BACKEND;  // io_uring, epoll, libuv or auto

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

/// What io_uring_setup says in this process, asked directly: 0 (allowed) or the errno. The
/// ground truth the auto driver's choice is checked against (the whole suite also runs under
/// deny_io_uring, where this is EPERM).
int uring_setup_errno() {
  io_uring_params p{};
  long fd = ::syscall(__NR_io_uring_setup, 4, &p);
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    return 0;
  }
  return errno;
}

std::string errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    default: return std::to_string(err);
  }
}

/// Runs argv (a program and its arguments) and returns its one line of output; "" plus the exit
/// status in *status if it printed nothing.
std::string run_line(std::vector<std::string> argv, int* status = nullptr) {
  child c(std::move(argv), true);
  std::string line = c.first_line(std::chrono::seconds(30));
  int rc = c.wait(std::chrono::seconds(30));
  if (status) *status = rc;
  return line;
}

std::vector<std::string> probe(std::string policy = "prefer_io_uring") { return {CORIO_BACKEND_PROBE, policy}; }
std::vector<std::string> with_env(std::string assignment, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"/usr/bin/env", std::move(assignment)});
  return argv;
}
std::vector<std::string> denied(std::string err, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {CORIO_DENY_IO_URING, "--errno", std::move(err), "--"});
  return argv;
}

/// The runtime works on whatever it chose: a timer and a task run, and it shuts down clean.
void expect_runs(corio::runtime& rt) {
  int v = rt.block_on([]() -> corio::task<int> {
    co_await corio::sleep_for(std::chrono::milliseconds(1));
    auto t = corio::spawn([]() -> corio::task<int> { co_return 7; }());
    auto r = co_await t;
    co_return r ? *r : -1;
  }());
  BOOST_CHECK_EQUAL(v, 7);
  BOOST_CHECK(rt.shutdown(std::chrono::seconds(5)));
  BOOST_CHECK_EQUAL(rt.stats().ops_in_flight, 0u);
}

template <class F>
std::system_error expect_throws(F f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return e;
  }
  BOOST_FAIL("no std::system_error was thrown");
  return std::system_error(std::error_code());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(driver_policy)

BOOST_AUTO_TEST_CASE(default_policy_names_the_driver_and_why) {
  clean_shutdown_check check;
  {
    corio::runtime rt;
    const std::string backend(rt.backend()), reason(rt.backend_reason());
    BOOST_TEST_MESSAGE("backend " << backend << ": " << reason);
    if (built == "auto") {
      const int err = uring_setup_errno();
      if (err == 0) {
        // io_uring is allowed: it wins unless this kernel lacks an opcode corio uses.
        if (backend == "io_uring") {
          BOOST_CHECK_MESSAGE(contains(reason, "probed opcodes supported"), reason);
        } else {
          BOOST_CHECK_EQUAL(backend, "epoll");
          BOOST_CHECK_MESSAGE(contains(reason, "io_uring lacks IORING_OP_"), reason);
        }
      } else {
        BOOST_CHECK_EQUAL(backend, "epoll");
        BOOST_CHECK_EQUAL(reason, "io_uring refused: " + errno_name(err) + " from io_uring_setup; using epoll");
      }
    } else {
      BOOST_CHECK_EQUAL(backend, built);
      BOOST_CHECK_EQUAL(reason, "built for " + built + " only (CORIO_BACKEND=" + built + ")");
    }
    expect_runs(rt);
  }
  check.expect_no_fd_leak();
}

BOOST_AUTO_TEST_CASE(require_epoll) {
  clean_shutdown_check check;
  corio::runtime_options o;
  o.driver_policy = corio::driver_policy::require_epoll;
  if (built == "auto" || built == "epoll") {
    corio::runtime rt(o);
    BOOST_CHECK_EQUAL(rt.backend(), "epoll");
    BOOST_CHECK_EQUAL(rt.backend_reason(), built == "auto" ? std::string("driver_policy::require_epoll")
                                                           : "driver_policy::require_epoll; built for epoll only (CORIO_BACKEND=epoll)");
    expect_runs(rt);
  } else {
    auto e = expect_throws([&] { corio::runtime rt(o); });
    BOOST_CHECK(e.code() == corio::make_error_code(corio::errc::unsupported));
    BOOST_CHECK_MESSAGE(contains(e.what(), "built for " + built + " only"), e.what());
    BOOST_CHECK_MESSAGE(contains(e.what(), "CORIO_BACKEND=auto"), e.what());
  }
  check.expect_no_fd_leak();
}

BOOST_AUTO_TEST_CASE(require_io_uring) {
  clean_shutdown_check check;
  corio::runtime_options o;
  o.driver_policy = corio::driver_policy::require_io_uring;
  const int err = uring_setup_errno();
  if (built == "epoll" || built == "libuv") {
    auto e = expect_throws([&] { corio::runtime rt(o); });
    BOOST_CHECK(e.code() == corio::make_error_code(corio::errc::unsupported));
    BOOST_CHECK_MESSAGE(contains(e.what(), "built for " + built + " only"), e.what());
  } else if (err == 0) {
    corio::runtime rt(o);
    BOOST_CHECK_EQUAL(rt.backend(), "io_uring");
    if (built == "auto") {
      BOOST_CHECK_MESSAGE(contains(rt.backend_reason(), "driver_policy::require_io_uring: io_uring: all"),
                          rt.backend_reason());
    }
    expect_runs(rt);
  } else {
    // io_uring refused here (the suite's seccomp run): an error naming the errno, no fallback.
    auto e = expect_throws([&] { corio::runtime rt(o); });
    BOOST_CHECK_EQUAL(e.code().value(), err);
    BOOST_CHECK(e.code().category() == std::system_category());
    BOOST_CHECK_MESSAGE(contains(e.what(), errno_name(err)) || built == "io_uring", e.what());
  }
  check.expect_no_fd_leak();
}

BOOST_AUTO_TEST_CASE(environment_overrides_the_policy) {
  // CORIO_DRIVER=epoll beats require_io_uring.
  std::string line = run_line(with_env("CORIO_DRIVER=epoll", probe("require_io_uring")));
  if (built == "auto" || built == "epoll") {
    BOOST_CHECK_EQUAL(line, built == "auto" ? std::string("ok epoll | CORIO_DRIVER=epoll")
                                            : "ok epoll | CORIO_DRIVER=epoll; built for epoll only (CORIO_BACKEND=epoll)");
  } else {
    BOOST_CHECK_MESSAGE(line.starts_with("error corio:" + std::to_string(int(corio::errc::unsupported)) + " |"), line);
    BOOST_CHECK_MESSAGE(contains(line, "CORIO_DRIVER=epoll asks for epoll"), line);
  }

  // CORIO_DRIVER=io_uring beats require_epoll.
  line = run_line(with_env("CORIO_DRIVER=io_uring", probe("require_epoll")));
  if (built == "auto" && uring_setup_errno() == 0) {
    BOOST_CHECK_MESSAGE(line.starts_with("ok io_uring | CORIO_DRIVER=io_uring: io_uring: all"), line);
  } else if (built == "epoll" || built == "libuv") {
    BOOST_CHECK_MESSAGE(line.starts_with("error corio:" + std::to_string(int(corio::errc::unsupported)) + " |"), line);
  }

  // An unknown name is an error, not a silent default.
  line = run_line(with_env("CORIO_DRIVER=kqueue", probe()));
  BOOST_CHECK_MESSAGE(line.starts_with("error corio:" + std::to_string(int(corio::errc::invalid_argument)) + " |"), line);
  BOOST_CHECK_MESSAGE(contains(line, "CORIO_DRIVER=kqueue names no driver"), line);

  // Empty is unset: the policy decides.
  line = run_line(with_env("CORIO_DRIVER=", probe("require_epoll")));
  if (built == "auto") BOOST_CHECK_EQUAL(line, "ok epoll | driver_policy::require_epoll");
}

BOOST_AUTO_TEST_CASE(io_uring_refused_by_seccomp) {
  int status = 0;
  std::string line = run_line(denied("EPERM", probe()), &status);
  if (line.empty() && status == 125) {
    skip("this machine does not let a process install a seccomp filter (deny_io_uring exits 125)");
    return;
  }
  if (built == "auto") {
    // prefer_io_uring falls back, and says why.
    BOOST_CHECK_EQUAL(line, "ok epoll | io_uring refused: EPERM from io_uring_setup; using epoll");
    for (std::string err : {"ENOSYS", "EINVAL", "EACCES"}) {
      BOOST_CHECK_EQUAL(run_line(denied(err, probe())),
                        "ok epoll | io_uring refused: " + err + " from io_uring_setup; using epoll");
    }
    // require_io_uring does not: the error names the errno.
    line = run_line(denied("EPERM", probe("require_io_uring")));
    BOOST_CHECK_MESSAGE(line.starts_with("error system:" + std::to_string(EPERM) + " |"), line);
    BOOST_CHECK_MESSAGE(contains(line, "io_uring refused: EPERM from io_uring_setup"), line);
    // A resource error is an error under prefer_io_uring too: epoll would hide a real problem.
    line = run_line(denied("ENOMEM", probe()));
    BOOST_CHECK_MESSAGE(line.starts_with("error system:" + std::to_string(ENOMEM) + " |"), line);
    BOOST_CHECK_MESSAGE(contains(line, "ENOMEM from io_uring_setup"), line);
    // require_epoll never touches io_uring.
    BOOST_CHECK_EQUAL(run_line(denied("EPERM", probe("require_epoll"))), "ok epoll | driver_policy::require_epoll");
  } else if (built == "io_uring") {
    // No fallback compiled in: the error says so and points at the auto backend.
    BOOST_CHECK_MESSAGE(line.starts_with("error system:" + std::to_string(EPERM) + " |"), line);
    BOOST_CHECK_MESSAGE(contains(line, "CORIO_BACKEND=auto"), line);
  } else {
    BOOST_CHECK_EQUAL(line, "ok " + built + " | built for " + built + " only (CORIO_BACKEND=" + built + ")");
  }
}

BOOST_AUTO_TEST_SUITE_END()
