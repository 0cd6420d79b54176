// Helpers for the descriptor-lifetime tests: connected TCP pairs and raw peers.
#pragma once

#include "support.hpp"

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace corio_test {

namespace net = corio::net;

inline net::tcp_listener listen_loopback() {
  auto l = net::tcp_listener::bind(*net::address::parse("127.0.0.1:0"), {.backlog = 4096});
  BOOST_REQUIRE(l.has_value());
  return std::move(*l);
}

/// A connected pair of corio TCP streams.
inline corio::task<std::pair<net::tcp_stream, net::tcp_stream>> tcp_pair(net::tcp_listener& l) {
  auto client = corio::spawn(net::tcp_stream::connect(*l.local_address()));
  auto server = co_await l.accept();
  auto c = co_await client;
  BOOST_REQUIRE(server.has_value());
  BOOST_REQUIRE(c.has_value() && c->has_value());
  co_return std::pair{std::move(**c), std::move(server->stream)};
}

/// A plain blocking socket connected to `l` (a peer corio does not own).
inline int raw_connect(net::tcp_listener& l) {
  auto where = l.local_address();
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(::connect(fd, where->sockaddr_ptr(), where->sockaddr_len()) == 0);
  return fd;
}

/// True if the descriptor number is open in this process.
inline bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

/// Waits up to `ms` for end-of-stream on a raw socket; true if read() returned 0 in time.
inline bool sees_eof_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) != 1) return false;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

}  // namespace corio_test
