// epoll_echo: a TCP echo server on raw edge-triggered epoll, written as an expert would.
//   epoll_echo [--port P] [--host H]
// - every socket registered once (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET): no epoll_ctl on
//   the data path;
// - on readiness, recv -> send straight away; a short recv means the socket is drained (a
//   new edge comes with new data), so there is no extra recv returning EAGAIN;
// - a short send keeps the rest and waits for the EPOLLOUT edge before reading more;
// - like examples/echo_server (corio_echo): Nagle on, a 16 KiB buffer per connection.
// Prints "listening on ADDR" once bound.
#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr std::size_t buf_size = 16 * 1024;

struct conn {
  int fd = -1;
  std::size_t len = 0;   // bytes in buf
  std::size_t sent = 0;  // of which already sent
  bool drained = true;   // no unread input since the last edge
  char buf[buf_size];
};

void drop(conn* c) {
  ::close(c->fd);  // also removes it from the epoll set
  delete c;
}

// Echoes until the socket is drained or the send side is full.
void handle(conn* c, std::uint32_t events) {
  if (events & EPOLLIN) c->drained = false;
  if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
    drop(c);
    return;
  }
  for (;;) {
    while (c->sent < c->len) {
      ssize_t n = ::send(c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;  // the EPOLLOUT edge resumes us
        drop(c);
        return;
      }
      c->sent += static_cast<std::size_t>(n);
    }
    if (c->drained) return;
    ssize_t n = ::recv(c->fd, c->buf, buf_size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        c->drained = true;
        return;
      }
      drop(c);
      return;
    }
    if (n == 0) {
      drop(c);
      return;
    }
    c->len = static_cast<std::size_t>(n);
    c->sent = 0;
    c->drained = static_cast<std::size_t>(n) < buf_size;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 7000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (a == "--host" && i + 1 < argc) host = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--port P] [--host H]\n", argv[0]);
      return 2;
    }
  }
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || ::listen(lfd, SOMAXCONN) < 0) {
    std::perror("bind/listen");
    return 1;
  }
  socklen_t sl = sizeof sa;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &sl);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event lev{};
  lev.events = EPOLLIN | EPOLLET;
  lev.data.ptr = nullptr;  // null: the listener
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);

  std::printf("listening on %s:%d\n", host.c_str(), ntohs(sa.sin_port));
  std::fflush(stdout);

  epoll_event events[512];
  for (;;) {
    int n = epoll_wait(ep, events, 512, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        for (;;) {  // accept everything queued: the edge will not come again for it
          int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;  // EAGAIN, or EMFILE and the like: keep serving the others
          auto* c = new conn;
          c->fd = fd;
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
          ev.data.ptr = c;
          if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) drop(c);
        }
        continue;
      }
      handle(static_cast<conn*>(events[i].data.ptr), events[i].events);
    }
  }
}
