// A TCP echo server: an accept loop, one spawned task per connection.
//   echo_server [--host H] [--port P] [--max-conns N] [--once]
// Prints "listening on ADDRESS" once bound. --max-conns limits concurrent connections (extra
// ones are closed at once); --once serves one connection and exits when it closes.
#include <corio/corio.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace net = corio::net;

struct options {
  std::string host = "127.0.0.1";
  int port = 7000;
  int max_conns = 10000;
  bool once = false;
};

// Echoes until the client hangs up; any error just ends the connection.
corio::task<void> serve(net::tcp_stream stream, int& active) {
  std::array<std::byte, 16 * 1024> buf;
  for (;;) {
    auto n = co_await stream.read(buf);
    if (!n || *n == 0) break;  // error or end-of-stream
    if (!co_await stream.write_all(std::span(buf).first(*n))) break;
  }
  --active;
}  // dropping the stream closes it

corio::task<int> run(options opt) {
  auto where = net::address::parse(opt.host + ":" + std::to_string(opt.port));
  if (!where) {
    std::fprintf(stderr, "bad address %s:%d: %s\n", opt.host.c_str(), opt.port, where.error().message().c_str());
    co_return 2;
  }
  auto listener = net::tcp_listener::bind(*where);
  if (!listener) {
    std::fprintf(stderr, "bind %s: %s\n", where->to_string().c_str(), listener.error().message().c_str());
    co_return 1;
  }
  std::printf("listening on %s\n", listener->local_address()->to_string().c_str());
  std::fflush(stdout);

  int active = 0;
  for (;;) {
    auto conn = co_await listener->accept();
    if (!conn) {
      std::fprintf(stderr, "accept: %s\n", conn.error().message().c_str());
      continue;  // e.g. EMFILE: keep serving the others
    }
    auto& [stream, peer] = *conn;
    if (active >= opt.max_conns) continue;  // over the limit: dropping the stream closes it
    ++active;
    auto task = corio::spawn(serve(std::move(stream), active));
    if (opt.once) {
      (void)co_await task;  // serve this one connection, then exit
      co_return 0;
    }
    task.detach();
  }
}

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) opt.host = argv[++i];
    else if (arg == "--port" && has_value) opt.port = std::atoi(argv[++i]);
    else if (arg == "--max-conns" && has_value) opt.max_conns = std::atoi(argv[++i]);
    else if (arg == "--once") opt.once = true;
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--max-conns N] [--once]\n", argv[0]);
      return 2;
    }
  }
  corio::runtime rt;
  return rt.block_on(run(opt));
}
