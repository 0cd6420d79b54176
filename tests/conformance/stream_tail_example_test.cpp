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
  timeval tv{20, 0};  // generous: a loaded 2-core machine
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

std::string read_exactly(int fd, std::size_t n) {
  std::string got(n, '\0');
  std::size_t off = 0;
  while (off < n) {
    auto r = ::recv(fd, got.data() + off, n - off, 0);
    if (r <= 0) break;
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
  auto second = read_exactly(fd, 12);
  BOOST_CHECK_EQUAL(second, "second line\n");
  if (second.empty()) BOOST_TEST_MESSAGE("server said: " << server.next_line(1s));

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
