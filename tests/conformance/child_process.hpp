// A child process for tests that run the example programs: started with posix_spawn, its
// stdout readable line by line, killed and reaped if the test ends first.
#pragma once

#include "support.hpp"

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace corio_test {

/// A child process, killed and reaped if the test ends before it exits.
class child {
 public:
  /// Starts `argv`; with `capture`, its stdout is readable through stdout_fd().
  child(std::vector<std::string> argv, bool capture) {
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (capture) {
      BOOST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
      posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (capture) {
      ::close(fds[1]);
      out_ = fds[0];
    }
    BOOST_REQUIRE_MESSAGE(rc == 0, "spawn " << argv[0] << ": " << std::strerror(rc));
  }
  void signal(int sig) { ::kill(pid_, sig); }
  pid_t pid() const { return pid_; }
  ~child() {
    if (out_ >= 0) ::close(out_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  /// The first line the child prints, or "" if none within `limit`.
  std::string first_line(std::chrono::milliseconds limit) { return next_line(limit); }

  /// The next line the child prints, or "" if none within `limit`.
  std::string next_line(std::chrono::milliseconds limit) {
    std::string& line = pending_;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (line.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      ::pollfd p{out_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char buf[256];
      auto n = ::read(out_, buf, sizeof(buf));
      if (n <= 0) return "";
      line.append(buf, static_cast<std::size_t>(n));
    }
    auto eol = line.find('\n');
    std::string first = line.substr(0, eol);
    line.erase(0, eol + 1);
    return first;
  }

  /// The exit status, or -1 if it has not exited within `limit` (it is then killed).
  int wait(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() > deadline) return -1;
      ::usleep(10'000);
    }
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string pending_;  ///< read but not yet returned
};

}  // namespace corio_test
