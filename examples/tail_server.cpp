// tail_server: serves a growing text file to every client as lines arrive, like `tail -f` over
// TCP. Each connection waits for new data while racing that wait against closed(), so a client
// that disconnects while nothing is being written is noticed at once and its resources freed.
//   tail_server FILE [--port P] [--once]
// Prints "listening on ADDRESS", then "client gone after N ms idle" for each departure.
// --once exits after the first client has gone.
#include <corio/corio.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace net = corio::net;
namespace fs = corio::fs;
using clk = std::chrono::steady_clock;

// How often a connection looks for new lines. A departure does not wait for it: closed() ends
// the wait at once.
constexpr auto poll_interval = 50ms;

// Sends everything appended to `path` from offset 0 on, until the client leaves.
corio::task<void> follow(net::tcp_stream client, std::string path) {
  auto file = co_await fs::file::open(path);
  if (!file) co_return;
  std::vector<std::byte> buf(64 * 1024);
  std::uint64_t offset = 0;
  auto idle_since = clk::now();
  const char* why = "hang-up";
  for (;;) {
    auto n = co_await file->read_at(buf, offset);
    if (!n) {
      why = "file read failed";
      break;
    }
    if (*n > 0) {
      if (!co_await client.write_all(std::span(buf).first(*n))) {
        why = "write failed";
        break;
      }
      offset += *n;
      idle_since = clk::now();
      continue;
    }
    // Nothing new: wait a little for the file to grow, or for the client to hang up.
    auto r = co_await corio::when_any(corio::sleep_for(poll_interval), client.closed());
    if (!r) {
      why = "wait failed";
      break;
    }
    if (r->index == 1) break;
  }
  auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(clk::now() - idle_since);
  std::printf("client gone after %lld ms idle (%s)\n", static_cast<long long>(idle.count()), why);
  std::fflush(stdout);
}

corio::task<int> run(std::string path, int port, bool once) {
  auto listener = net::tcp_listener::bind(net::address::ipv4_loopback(static_cast<std::uint16_t>(port)));
  if (!listener) {
    std::fprintf(stderr, "bind: %s\n", listener.error().message().c_str());
    co_return 1;
  }
  std::printf("listening on %s\n", listener->local_address()->to_string().c_str());
  std::fflush(stdout);
  corio::task_group clients;
  for (;;) {
    auto conn = co_await listener->accept();
    if (!conn) continue;
    if (once) {
      co_await follow(std::move(conn->stream), path);
      co_return 0;
    }
    clients.spawn(follow(std::move(conn->stream), path));
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [--port P] [--once]\n", argv[0]);
    return 2;
  }
  std::string path = argv[1];
  int port = 0;
  bool once = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (arg == "--once") once = true;
  }
  corio::runtime rt;
  return rt.block_on(run(path, port, once));
}
