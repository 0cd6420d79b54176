// examples/echo_server --threads N: a runtime_group with one SO_REUSEPORT listener per thread.
// Several clients at once are served, the server really runs the extra threads, and SIGTERM
// shuts every runtime down with exit status 0.
#include "child_process.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

using namespace corio_test;

namespace {


std::size_t thread_count(pid_t pid) {
  std::size_t n = 0;
  if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(net_echo_threads)

BOOST_AUTO_TEST_CASE(threads_serve_and_shut_down) {
  for (const char* name : {"/echo_server", "/echo_client"}) {
    if (::access((examples + name).c_str(), X_OK) != 0) {
      skip("example " + examples + name + " is not built");
      return;
    }
  }
  clean_shutdown_check check;
  {
    child server({examples + "/echo_server", "--port", "0", "--threads", "3"}, true);
    auto line = server.first_line(std::chrono::seconds(20));
    BOOST_REQUIRE_MESSAGE(line.starts_with("listening on "), "echo_server printed '" << line << "'");
    const auto where = line.substr(13);
    BOOST_CHECK_GE(thread_count(server.pid()), 4u);  // main + 3 runtimes (+ pool threads, if any)

    std::vector<std::unique_ptr<child>> clients;
    for (int i = 0; i < 6; ++i) {
      clients.push_back(std::make_unique<child>(
          std::vector<std::string>{examples + "/echo_client", where, "--messages", "200", "--size", "700"}, false));
    }
    for (auto& c : clients) BOOST_CHECK_EQUAL(c->wait(std::chrono::seconds(60)), 0);
    server.signal(SIGTERM);
    BOOST_CHECK_EQUAL(server.next_line(std::chrono::seconds(20)), "signal received: closing connections on 3 threads");
    BOOST_CHECK_EQUAL(server.wait(std::chrono::seconds(20)), 0);
  }
  check.expect_no_fd_leak();
}

BOOST_AUTO_TEST_SUITE_END()
