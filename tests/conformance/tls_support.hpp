// Helpers for the TLS tests: certificates made at test time with `openssl req` (a CA, a server
// certificate it signed for localhost and 127.0.0.1, and a self-signed one), connected TLS
// pairs, and OpenSSL's own s_server / s_client as peer processes.
#pragma once

#include "net_support.hpp"

#include <corio/net/tls.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace corio_tls_test {

using namespace corio_net_test;
using namespace corio_test;

/// True if the openssl command-line tool is there (else the caller skips).
inline bool have_openssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

/// Certificates for the whole test run, generated once into a temporary directory.
struct certs {
  temp_dir dir;
  std::string ca_crt, server_crt, server_key, self_crt, self_key;
  bool ok = false;

  static const certs& get() {
    static certs c;
    return c;
  }

 private:
  certs() {
    ca_crt = dir.file("ca.crt");
    server_crt = dir.file("server.crt");
    server_key = dir.file("server.key");
    self_crt = dir.file("self.crt");
    self_key = dir.file("self.key");
    const std::string d = dir.path().string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string san = "subjectAltName=DNS:localhost,IP:127.0.0.1";
    std::ofstream(dir.file("ext.cnf")) << san << "\n";
    const std::string cmds[] = {
        "openssl req -x509" + ec + " -keyout " + d + "/ca.key -out " + ca_crt + " -subj /CN=corio-test-ca -days 2",
        "openssl req" + ec + " -keyout " + server_key + " -out " + d + "/server.csr -subj /CN=localhost",
        "openssl x509 -req -in " + d + "/server.csr -CA " + ca_crt + " -CAkey " + d + "/ca.key -CAcreateserial -out " +
            server_crt + " -days 2 -extfile " + d + "/ext.cnf",
        "openssl req -x509" + ec + " -keyout " + self_key + " -out " + self_crt +
            " -subj /CN=localhost -days 2 -addext " + san,
    };
    ok = true;
    for (const auto& c : cmds) ok = ok && std::system((c + " >/dev/null 2>&1").c_str()) == 0;
  }
};

/// A client context trusting our CA (ALPN optional).
inline corio::net::tls_context client_context(std::vector<std::string> alpn = {}, std::string ca = "") {
  auto ctx = corio::net::tls_context::client({.ca_file = ca.empty() ? certs::get().ca_crt : ca, .alpn = std::move(alpn)});
  BOOST_REQUIRE_MESSAGE(ctx, "client context: " << describe(ctx));
  return std::move(*ctx);
}

/// A server context with the CA-signed certificate, or the self-signed one.
inline corio::net::tls_context server_context(bool self_signed = false, std::vector<std::string> alpn = {}) {
  const auto& c = certs::get();
  auto ctx = corio::net::tls_context::server({.cert_chain_file = self_signed ? c.self_crt : c.server_crt,
                                              .private_key_file = self_signed ? c.self_key : c.server_key,
                                              .alpn = std::move(alpn)});
  BOOST_REQUIRE_MESSAGE(ctx, "server context: " << describe(ctx));
  return std::move(*ctx);
}

/// {client, server}: TLS over a loopback TCP pair, handshakes not yet run.
inline task<std::pair<tls_stream, tls_stream>> tls_pair(const tls_context& cctx, const tls_context& sctx,
                                                      std::string host = "localhost") {
  auto [c, s] = co_await tcp_pair();
  auto client = tls_stream::client(std::move(c), cctx, host);
  BOOST_REQUIRE_MESSAGE(client, describe(client));
  auto server = tls_stream::server(std::move(s), sctx);
  BOOST_REQUIRE_MESSAGE(server, describe(server));
  co_return std::pair<tls_stream, tls_stream>(std::move(*client), std::move(*server));
}

/// Both handshakes, run concurrently; both must succeed.
inline task<void> handshake_both(tls_stream& client, tls_stream& server) {
  auto peer = corio::spawn(server.handshake());
  auto c = co_await client.handshake();
  BOOST_REQUIRE_MESSAGE(c, "client handshake: " << describe(c));
  auto s = co_await peer;
  BOOST_REQUIRE(s);
  BOOST_REQUIRE_MESSAGE(*s, "server handshake: " << describe(*s));
}

/// A 127.0.0.1 port that was free a moment ago (for peers that cannot report theirs).
inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::socklen_t len = sizeof(sa);
  ::bind(fd, reinterpret_cast<::sockaddr*>(&sa), sizeof(sa));
  ::getsockname(fd, reinterpret_cast<::sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A peer process (openssl s_server / s_client, curl): stdin a pipe this test feeds from a
/// thread, stdout and stderr files read afterwards. Killed and reaped if the test ends first.
class peer_process {
 public:
  peer_process(std::vector<std::string> argv, const temp_dir& dir, const std::string& name)
      : out_path_(dir.file(name + ".out")), err_path_(dir.file(name + ".err")) {
    std::signal(SIGPIPE, SIG_IGN);  // the peer may exit before it read all its input
    int fds[2];
    BOOST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[0]);
    in_ = fds[1];
    BOOST_REQUIRE_MESSAGE(rc == 0, "spawn " << argv[0] << ": " << std::strerror(rc));
  }
  ~peer_process() {
    close_input();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  /// Feeds `data` to the peer's stdin from a thread (the pipe holds only 64 KiB); stdin stays
  /// open afterwards until close_input() or the end.
  void feed(std::vector<std::byte> data) {
    feeder_ = std::thread([fd = in_, d = std::move(data)] {
      std::size_t off = 0;
      while (off < d.size()) {
        auto n = ::write(fd, d.data() + off, d.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the peer is gone
        off += static_cast<std::size_t>(n);
      }
    });
  }
  void close_input() {
    if (feeder_.joinable()) feeder_.join();
    if (in_ >= 0) ::close(std::exchange(in_, -1));
  }
  /// The exit status, or -1 if it did not exit within `limit` (then it is killed).
  int wait(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (feeder_.joinable()) feeder_.join();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() > deadline) return -1;
      ::usleep(10'000);
    }
  }
  std::string out() const { return read_file(out_path_); }
  std::string err() const { return read_file(err_path_); }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  std::thread feeder_;
  std::string out_path_, err_path_;
};

/// Connects to 127.0.0.1:port, retrying while the peer process starts (up to `limit`).
inline task<tcp_stream> connect_retrying(std::uint16_t port, std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto c = co_await tcp_stream::connect(address::ipv4_loopback(port));
    if (c) co_return std::move(*c);
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "connect to the peer: " << describe(c));
    co_await corio::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace corio_tls_test
