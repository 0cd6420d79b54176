// uring_echo: a TCP echo server written directly on liburing, the way an expert would, as the
// practical limit corio is measured against.
//   uring_echo [--port P] [--host H] [--entries N]
// - one io_uring_submit_and_wait per loop turn (every SQE prepared during a turn goes in it);
// - IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN (then COOP_TASKRUN, then nothing, if refused);
// - the ring descriptor registered; a multishot accept;
// - like examples/echo_server (corio_echo): accepted sockets keep Nagle on, and each connection
//   has a 16 KiB buffer: recv -> send what arrived (the rest again after a short send) -> recv,
//   so at most one operation per connection is in flight.
// Prints "listening on ADDR" once bound, like examples/echo_server.
#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <liburing.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr std::size_t buf_size = 16 * 1024;

struct conn {
  int fd = -1;
  unsigned sent = 0;  // bytes of the current chunk already sent
  unsigned len = 0;   // bytes of the current chunk
  char buf[buf_size];
};

// user_data: a conn* with the low bit telling recv (0) from send (1); 0 is the accept.
constexpr std::uint64_t tag_accept = 0;
std::uint64_t tag(conn* c, bool send) { return reinterpret_cast<std::uint64_t>(c) | (send ? 1u : 0u); }

io_uring ring;

io_uring_sqe* get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  while (!sqe) {  // full submission queue: flush it and retry
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

void post_accept(int lfd) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_multishot_accept(sqe, lfd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, tag_accept);
}

void post_recv(conn* c) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_recv(sqe, c->fd, c->buf, buf_size, 0);
  io_uring_sqe_set_data64(sqe, tag(c, false));
}

void post_send(conn* c) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_send(sqe, c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag(c, true));
}

void drop(conn* c) {
  ::close(c->fd);  // nothing of it is in flight: one op per connection at a time
  delete c;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 7000;
  unsigned entries = 1024;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (a == "--host" && i + 1 < argc) host = argv[++i];
    else if (a == "--entries" && i + 1 < argc) entries = static_cast<unsigned>(std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--port P] [--host H] [--entries N]\n", argv[0]);
      return 2;
    }
  }

  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

  const unsigned attempts[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, 0};
  int rc = -EINVAL;
  for (unsigned flags : attempts) {
    io_uring_params p{};
    p.flags = flags | IORING_SETUP_CQSIZE;
    p.cq_entries = entries * 8;
    rc = io_uring_queue_init_params(entries, &ring, &p);
    if (rc != -EINVAL) break;
  }
  if (rc < 0) {
    std::fprintf(stderr, "io_uring_queue_init: %s\n", std::strerror(-rc));
    return 1;
  }
  io_uring_register_ring_fd(&ring);

  std::printf("listening on %s:%d\n", host.c_str(), ntohs(sa.sin_port));
  std::fflush(stdout);

  post_accept(lfd);
  for (;;) {
    int r = io_uring_submit_and_wait(&ring, 1);
    if (r < 0 && r != -EINTR && r != -EBUSY) {
      std::fprintf(stderr, "io_uring_submit_and_wait: %s\n", std::strerror(-r));
      return 1;
    }
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      const std::uint64_t data = cqe->user_data;
      const int res = cqe->res;
      if (data == tag_accept) {
        if (res >= 0) {
          auto* c = new conn;
          c->fd = res;
          post_recv(c);
        }
        if (!(cqe->flags & IORING_CQE_F_MORE)) post_accept(lfd);  // the multishot ended: rearm
        continue;
      }
      conn* c = reinterpret_cast<conn*>(data & ~std::uint64_t{1});
      if (data & 1) {  // send
        if (res <= 0) {
          drop(c);
          continue;
        }
        c->sent += static_cast<unsigned>(res);
        if (c->sent < c->len) post_send(c);
        else post_recv(c);
      } else {  // recv
        if (res <= 0) {
          drop(c);
          continue;
        }
        c->len = static_cast<unsigned>(res);
        c->sent = 0;
        post_send(c);
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
}
