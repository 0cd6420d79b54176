// Faults from the environment: the descriptor limit reached under an accept loop (the classic
// accept storm), and io_uring refused by seccomp or by kernel.io_uring_disabled.
#include "child_process.hpp"
#include "support.hpp"

#include <arpa/inet.h>
#include <fstream>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace corio_test;
using namespace std::chrono_literals;

namespace {

/// A blocking client socket connected to 127.0.0.1:port (the handshake completes in the
/// listener's backlog whether or not the server accepts).
int connect_blocking(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<::sockaddr*>(&sa), sizeof(sa)) == 0);
  ::timeval tv{0, 100'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

/// Sends `msg` and waits up to `limit` for `expect` (by default msg) to come back in full.
bool echoed(int fd, const std::string& msg, std::chrono::milliseconds limit, std::string expect = "") {
  if (expect.empty()) expect = msg;
  if (!msg.empty() && ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size())) return false;
  std::string got;
  auto until = std::chrono::steady_clock::now() + limit;
  while (got.size() < expect.size() && std::chrono::steady_clock::now() < until) {
    char buf[256];
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    if (n == 0) return false;
  }
  return got == expect;
}

/// Waits until the echo server's output has a line containing `what`; the lines are collected.
bool wait_for_line(child& c, const std::string& what, std::vector<std::string>& lines, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    auto line = c.next_line(100ms);
    if (line.empty()) continue;
    lines.push_back(line);
    if (line.find(what) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (auto& l : lines) all += "\n  " + l;
  return all;
}

}  // namespace

// The example echo server, its descriptor limit lowered (prlimit) to a few above what it holds:
// clients beyond that wait in the backlog while accept fails with EMFILE. The server must say so
// once, not spin (its CPU time over 1.5 s stays small), and serve the waiting clients as soon as
// the first ones hang up.
BOOST_AUTO_TEST_CASE(accept_loop_survives_descriptor_exhaustion) {
#if defined(__SANITIZE_THREAD__)
  // TSan's runtime needs descriptors of its own. Under ASan+UBSan this runs: UBSan's vptr check
  // probes memory through a pipe and reports a false "invalid vptr" at EMFILE, so the server's
  // EMFILE path makes no call on an error_category (corio::is_resource_exhausted, strerror).
  return skip("a TSan-built echo_server cannot run out of descriptors (the sanitizer needs some)");
#endif
  clean_shutdown_check check;
  {
    const std::string server = std::string(CORIO_EXAMPLES_DIR) + "/echo_server";
    // stderr into the same pipe, so the test reads what the server reports.
    child srv({"/bin/sh", "-c", "exec \"$0\" --port 0 --max-conns 100000 2>&1", server}, true);
    std::vector<std::string> lines;
    BOOST_REQUIRE_MESSAGE(wait_for_line(srv, "listening on", lines, 20s), "server did not start:" << joined(lines));
    const int port = std::stoi(lines.back().substr(lines.back().rfind(':') + 1));

    // Room for 3 more descriptors (lowest numbers are reused first, so the limit is on numbers).
    const int allowed = 3;
    ::rlimit rl{};
    rl.rlim_cur = rl.rlim_max = limit_leaving(srv.pid(), allowed);
    BOOST_REQUIRE_MESSAGE(::prlimit(srv.pid(), RLIMIT_NOFILE, &rl, nullptr) == 0, "prlimit: " << std::strerror(errno));

    const int clients = 10;
    std::vector<int> fds;
    for (int i = 0; i < clients; ++i) fds.push_back(connect_blocking(port));
    BOOST_REQUIRE_MESSAGE(wait_for_line(srv, "Too many open files", lines, 10s),
                          "the server did not report EMFILE:" << joined(lines));

    // Which clients are served now: at most `allowed` (some descriptors may go to the runtime).
    std::vector<bool> served(clients, false);
    int served_count = 0;
    for (int i = 0; i < clients; ++i) {
      served[i] = echoed(fds[i], "hello " + std::to_string(i), 300ms);
      served_count += served[i];
    }
    BOOST_CHECK_GE(served_count, 1);
    BOOST_CHECK_LE(served_count, allowed);

    // Starved: the accept loop must wait, not spin.
    const double cpu0 = cpu_seconds(srv.pid());
    std::this_thread::sleep_for(1500ms);
    const double cpu_used = cpu_seconds(srv.pid()) - cpu0;
    BOOST_TEST_MESSAGE("EMFILE: " << served_count << " of " << clients << " served, server CPU over 1.5 s: " << cpu_used << " s");
    BOOST_CHECK_MESSAGE(cpu_used < 0.3, "the server used " << cpu_used << " s of CPU in 1.5 s while out of descriptors");

    // The served clients hang up: their descriptors free, and everyone else gets served.
    for (int i = 0; i < clients; ++i) {
      if (served[i]) {
        ::close(fds[i]);
        fds[i] = -1;
      }
    }
    int later = 0;
    for (int i = 0; i < clients; ++i) {
      if (fds[i] < 0) continue;
      // What it sent while waiting in the backlog comes back first.
      bool ok = echoed(fds[i], "again " + std::to_string(i), 10s, "hello " + std::to_string(i) + "again " + std::to_string(i));
      BOOST_CHECK_MESSAGE(ok, "client " << i << " was not served after descriptors were freed");
      later += ok;
      ::close(fds[i]);  // frees a descriptor for the next one
      fds[i] = -1;
    }
    BOOST_CHECK_EQUAL(later + served_count, clients);
    // The report is made once per starvation, and the recovery said so.
    BOOST_CHECK_MESSAGE(wait_for_line(srv, "accept: resumed", lines, 5s), "no 'resumed' line:" << joined(lines));
    int reports = 0;
    for (auto& l : lines) reports += l.find("Too many open files") != std::string::npos;
    BOOST_CHECK_MESSAGE(reports <= 2, "EMFILE reported " << reports << " times:" << joined(lines));
    srv.signal(SIGTERM);
    BOOST_CHECK_EQUAL(srv.wait(10s), 0);
  }
  check.expect_no_fd_leak();
}

namespace {

/// Runs the smoke program (a runtime, TCP, a file, timers) through `prefix`; its exit status and
/// output.
std::pair<int, std::string> run_smoke(std::vector<std::string> argv) {
  argv.push_back(CORIO_SMOKE);
  child c(argv, true);
  std::string out, line;
  while (!(line = c.next_line(20s)).empty()) out += line + "\n";
  return {c.wait(20s), out};
}

/// Checks what the smoke program said with io_uring refused: the io_uring build must fail with a
/// message naming the cause and what to do; a build that does not need io_uring must just work.
void check_refused_outcome(int status, const std::string& out, const std::string& cause) {
  const bool uring_build = std::string(CORIO_RELIABILITY_BACKEND) == "io_uring";
  if (uring_build) {
    BOOST_CHECK_MESSAGE(status == 3, "expected a clean refusal (exit 3), got " << status << ":\n" << out);
    BOOST_CHECK_MESSAGE(out.find("refused: ") != std::string::npos, out);
    BOOST_CHECK_MESSAGE(out.find("io_uring") != std::string::npos, "the message does not name io_uring:\n" << out);
    BOOST_CHECK_MESSAGE(out.find(cause) != std::string::npos, "the message does not name the cause (" << cause << "):\n" << out);
    BOOST_CHECK_MESSAGE(out.find("epoll") != std::string::npos || out.find("auto") != std::string::npos,
                        "the message does not say what to do (another backend):\n" << out);
  } else {
    BOOST_CHECK_MESSAGE(status == 0 && out.find("ok ") != std::string::npos,
                        "without io_uring this build must work; exit " << status << ":\n" << out);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(io_uring_refused_by_seccomp) {
  clean_shutdown_check check;
  for (std::string err : {"EPERM", "ENOSYS"}) {
    auto [status, out] = run_smoke({CORIO_DENY_IO_URING, "--errno", err, "--"});
    BOOST_TEST_MESSAGE("seccomp " << err << ": exit " << status << ": " << out);
    check_refused_outcome(status, out, err == "EPERM" ? "Operation not permitted" : "Function not implemented");
  }
  check.expect_no_fd_leak();
}

// kernel.io_uring_disabled = 2 refuses io_uring to everyone. Set for the shortest time (one child
// creating its runtime) and always restored. Only where writable (root, a kernel with the knob).
BOOST_AUTO_TEST_CASE(io_uring_disabled_by_sysctl) {
  const char* knob = "/proc/sys/kernel/io_uring_disabled";
  std::string before;
  {
    std::ifstream in(knob);
    if (!(in >> before)) return skip("no " + std::string(knob) + " on this kernel");
  }
  if (::access(knob, W_OK) != 0) return skip(std::string(knob) + " is not writable here (needs root)");
  if (std::string(CORIO_RELIABILITY_BACKEND) != "io_uring") {
    // Not switched on other builds: the knob is machine-wide, and they never use io_uring.
    return skip("only the io_uring build is affected by kernel.io_uring_disabled");
  }
  struct restore {
    const char* path;
    std::string value;
    ~restore() { std::ofstream(path) << value; }
  } guard{knob, before};
  {
    std::ofstream out(knob);
    out << "2";
  }
  auto [status, out] = run_smoke({});
  { std::ofstream(knob) << before; }
  std::string after;
  std::ifstream(knob) >> after;
  BOOST_CHECK_EQUAL(after, before);
  BOOST_TEST_MESSAGE("io_uring_disabled=2: exit " << status << ": " << out);
  check_refused_outcome(status, out, "Operation not permitted");
}
