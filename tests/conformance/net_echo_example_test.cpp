// The echo examples, built and run against each other as separate processes, bounded in time.
#include "child_process.hpp"
#include "net_support.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>


using namespace corio_test;

namespace {


/// The example binaries exist (they are separate targets); otherwise prints a skip reason.
bool examples_built() {
  for (const char* name : {"/echo_server", "/echo_client"}) {
    if (::access((examples + name).c_str(), X_OK) != 0) {
      skip("example " + examples + name + " is not built (build the echo_server and echo_client targets)");
      return false;
    }
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(net_echo_example)

BOOST_AUTO_TEST_CASE(client_and_server_processes_echo_every_byte) {
  if (!examples_built()) return;
  clean_shutdown_check check;
  {
    child server({examples + "/echo_server", "--port", "0", "--once"}, true);
    auto line = server.first_line(10s);
    const std::string prefix = "listening on ";
    BOOST_REQUIRE_MESSAGE(line.starts_with(prefix), "echo_server printed '" << line << "'");
    auto where = line.substr(prefix.size());
    BOOST_REQUIRE(corio::net::address::parse(where));

    child client({examples + "/echo_client", where, "--messages", "300", "--size", "5000"}, false);
    BOOST_CHECK_EQUAL(client.wait(30s), 0);
    BOOST_CHECK_EQUAL(server.wait(10s), 0);  // --once: exits after its connection closed
  }
  check.expect_no_fd_leak();
}

BOOST_AUTO_TEST_CASE(server_shuts_down_gracefully_on_sigterm) {
  if (!examples_built()) return;
  child server({examples + "/echo_server", "--port", "0", "--max-conns", "4"}, true);
  auto line = server.first_line(10s);
  BOOST_REQUIRE_MESSAGE(line.starts_with("listening on "), "echo_server printed '" << line << "'");
  auto where = line.substr(13);
  // Two clients in turn on the same server, then SIGTERM: it exits 0, promptly.
  for (int i = 0; i < 2; ++i) {
    child client({examples + "/echo_client", where, "--messages", "50", "--size", "100"}, false);
    BOOST_CHECK_EQUAL(client.wait(30s), 0);
  }
  server.signal(SIGTERM);
  BOOST_CHECK_EQUAL(server.wait(10s), 0);
}

BOOST_AUTO_TEST_CASE(pooled_server_echoes_three_clients_through_two_buffers) {
  if (!examples_built()) return;
  child server({examples + "/echo_server", "--port", "0", "--pooled", "2"}, true);
  auto line = server.first_line(10s);
  BOOST_REQUIRE_MESSAGE(line.starts_with("listening on "), "echo_server printed '" << line << "'");
  auto where = line.substr(13);
  // Messages larger than a pool buffer (16 KiB), three connections at once on two buffers:
  // reads wait for a buffer in turn, and every byte still comes back (echo_client checks).
  std::vector<std::unique_ptr<child>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<child>(
        std::vector<std::string>{examples + "/echo_client", where, "--messages", "40", "--size", "40000"}, false));
  }
  for (auto& c : clients) BOOST_CHECK_EQUAL(c->wait(60s), 0);
  server.signal(SIGTERM);
  BOOST_CHECK_EQUAL(server.wait(10s), 0);
  // A pool larger than the maximum is refused before the server listens.
  child bad({examples + "/echo_server", "--port", "0", "--pooled", "40000"}, true);
  BOOST_CHECK_EQUAL(bad.wait(10s), 2);
}

BOOST_AUTO_TEST_CASE(client_fails_cleanly_without_a_server) {
  if (!examples_built()) return;
  // A port that was just free: bind it, note it, let it go.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::socklen_t len = sizeof(sa);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<::sockaddr*>(&sa), sizeof(sa)) == 0);
  ::getsockname(fd, reinterpret_cast<::sockaddr*>(&sa), &len);
  ::close(fd);
  auto where = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  child client({examples + "/echo_client", where, "--messages", "1"}, false);
  BOOST_CHECK_EQUAL(client.wait(10s), 1);
  child bad({examples + "/echo_client", "not-an-address"}, false);
  BOOST_CHECK_EQUAL(bad.wait(10s), 2);
}

BOOST_AUTO_TEST_SUITE_END()
