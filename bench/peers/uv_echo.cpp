// uv_echo: a TCP echo server on libuv, written as an expert would.
//   uv_echo [--port P] [--host H]
// - uv_read_start with each connection's own 16 KiB buffer (no allocation per read);
// - the reply goes out with uv_try_write (no request, no copy); only what the socket does not
//   take at once is copied into a uv_write request, and reading pauses until it is written;
// - like examples/echo_server (corio_echo): Nagle on.
// Prints "listening on ADDR" once bound.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <uv.h>

namespace {

constexpr std::size_t buf_size = 16 * 1024;

struct conn {
  uv_tcp_t tcp;
  char buf[buf_size];
};

struct pending_write {
  uv_write_t req;
  conn* c;
  char data[1];  // the unsent rest, allocated to size
};

uv_loop_t* loop;

void on_close(uv_handle_t* h) { delete reinterpret_cast<conn*>(h); }

void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* b) {
  auto* c = reinterpret_cast<conn*>(h);
  *b = uv_buf_init(c->buf, buf_size);
}

void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b);

void on_written(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<pending_write*>(req);
  conn* c = w->c;
  std::free(w);
  if (status < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_close);
    return;
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), on_alloc, on_read);
}

void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  auto* c = reinterpret_cast<conn*>(s);
  if (n == 0) return;  // EAGAIN
  if (n < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(s), on_close);
    return;
  }
  uv_buf_t out = uv_buf_init(b->base, static_cast<unsigned>(n));
  int w = uv_try_write(s, &out, 1);
  if (w == n) return;
  if (w < 0 && w != UV_EAGAIN) {
    uv_close(reinterpret_cast<uv_handle_t*>(s), on_close);
    return;
  }
  std::size_t done = w > 0 ? static_cast<std::size_t>(w) : 0;
  std::size_t rest = static_cast<std::size_t>(n) - done;
  auto* pw = static_cast<pending_write*>(std::malloc(sizeof(pending_write) + rest));
  pw->c = c;
  std::memcpy(pw->data, b->base + done, rest);
  uv_buf_t rb = uv_buf_init(pw->data, static_cast<unsigned>(rest));
  uv_read_stop(s);  // backpressure: the buffer is free again, but the peer must wait
  uv_write(&pw->req, s, &rb, 1, on_written);
}

void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* c = new conn;
  uv_tcp_init(loop, &c->tcp);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_close);
    return;
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), on_alloc, on_read);
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
  loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  sockaddr_in addr;
  uv_ip4_addr(host.c_str(), port, &addr);
  int rc = uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server), SOMAXCONN, on_connection);
  if (rc != 0) {
    std::fprintf(stderr, "bind/listen: %s\n", uv_strerror(rc));
    return 1;
  }
  int len = sizeof addr;
  uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on %s:%d\n", host.c_str(), ntohs(addr.sin_port));
  std::fflush(stdout);
  return uv_run(loop, UV_RUN_DEFAULT);
}
