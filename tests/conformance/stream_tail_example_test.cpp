// examples/tail_server as a separate process: serves appended lines, and notices a client that
// disconnects while nothing is being written (closed() raced against the wait) within 200 ms.
#include "child_process.hpp"

#include <arpa/inet.h>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace corio_test;
using clk = std::chrono::steady_clock;

namespace {

/// Connects a plain blocking socket to "127.0.0.1:PORT" taken from "listening on ..." text.
int connect_to(const std::string& listening_line) {
  auto colon = listening_line.rfind(':');
  BOOST_REQUIRE(colon != std::string::npos);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(listening_line.substr(colon + 1))));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  return fd;
}

/// Reads n bytes within 20 s (generous: a loaded 2-core machine); what arrived, and why it stopped.
std::string read_exactly(int fd, std::size_t n, std::string* why = nullptr) {
  std::string got(n, '\0');
  std::size_t off = 0;
  auto deadline = clk::now() + 20s;
  while (off < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clk::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) {
      if (why) *why = "timed out";
      break;
    }
    auto r = ::recv(fd, got.data() + off, n - off, MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) {
      if (why) *why = r == 0 ? "end of stream" : std::string("recv: ") + std::strerror(errno);
      break;
    }
    off += static_cast<std::size_t>(r);
  }
  got.resize(off);
  return got;
}

}  // namespace

BOOST_AUTO_TEST_CASE(tail_server_follows_a_file_and_notices_a_silent_disconnect) {
  const std::string exe = std::string(CORIO_EXAMPLES_DIR) + "/tail_server";
  if (::access(exe.c_str(), X_OK) != 0) {
    skip("example " + exe + " is not built");
    return;
  }
  temp_dir dir;
  const std::string log = dir.file("app.log");
  std::ofstream(log) << "first line\n";

  child server({exe, log, "--port", "0", "--once"}, true);
  auto listening = server.next_line(10s);
  BOOST_REQUIRE_MESSAGE(listening.rfind("listening on ", 0) == 0, "server said: " << listening);
  int fd = connect_to(listening);

  BOOST_CHECK_EQUAL(read_exactly(fd, 11), "first line\n");
  std::ofstream(log, std::ios::app) << "second line\n";  // appended while the client follows
  std::string why;
  auto second = read_exactly(fd, 12, &why);
  BOOST_CHECK_MESSAGE(second == "second line\n", "got '" << second << "' (" << why << "), server said: "
                                                       << (second.empty() ? server.next_line(1s) : ""));

  ::usleep(300'000);  // idle for a while: nothing is being written to the client
  auto t0 = clk::now();
  ::close(fd);
  auto gone = server.next_line(5s);
  auto noticed = clk::now() - t0;
  BOOST_CHECK_MESSAGE(gone.rfind("client gone", 0) == 0 && gone.find("(hang-up)") != std::string::npos,
                      "server said: " << gone);
  BOOST_CHECK_MESSAGE(noticed < 200ms, "disconnect noticed after "
                                           << std::chrono::duration_cast<std::chrono::milliseconds>(noticed).count()
                                           << " ms");
  BOOST_CHECK_EQUAL(server.wait(10s), 0);
}
