// A TCP echo client: sends messages of random bytes and checks every echoed byte.
//   echo_client HOST:PORT [--messages N] [--size S]
// Exit status 0 when every byte came back intact, 1 otherwise.
#include <corio/corio.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace net = corio::net;
using namespace std::chrono_literals;

corio::task<int> run(net::address server, long messages, std::size_t size) {
  auto stream = co_await corio::timeout(10s, net::tcp_stream::connect(server));
  if (!stream) {
    std::fprintf(stderr, "connect %s: %s\n", server.to_string().c_str(), stream.error().message().c_str());
    co_return 1;
  }
  stream->set_nodelay();
  std::mt19937 gen(std::random_device{}());
  std::vector<std::byte> out(size), in(size);
  for (long m = 0; m < messages; ++m) {
    for (auto& b : out) b = static_cast<std::byte>(gen());
    if (auto w = co_await stream->write_all(out); !w) {
      std::fprintf(stderr, "write: %s\n", w.error().message().c_str());
      co_return 1;
    }
    // A silent server must not hang the client forever.
    if (auto r = co_await corio::timeout(10s, stream->read_exact(in)); !r) {
      std::fprintf(stderr, "read: %s\n", r.error().message().c_str());
      co_return 1;
    }
    if (in != out) {
      std::fprintf(stderr, "message %ld: echoed bytes differ\n", m);
      co_return 1;
    }
  }
  // Polite close: FIN, then wait (briefly) for the server's own end-of-stream.
  auto closed = co_await stream->graceful_close(5s);
  std::printf("%ld messages of %zu bytes echoed intact (%s)\n", messages, size,
              closed && *closed == corio::close_outcome::peer_finished ? "server closed" : "closed");
  co_return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HOST:PORT [--messages N] [--size S]\n", argv[0]);
    return 2;
  }
  auto server = net::address::parse(argv[1]);
  if (!server) {
    std::fprintf(stderr, "bad address '%s' (numeric, e.g. 127.0.0.1:7000 or [::1]:7000): %s\n", argv[1],
                 server.error().message().c_str());
    return 2;
  }
  long messages = 100;
  long size = 1024;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--messages" && i + 1 < argc) messages = std::atol(argv[++i]);
    else if (arg == "--size" && i + 1 < argc) size = std::atol(argv[++i]);
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (messages < 0 || size <= 0) {
    std::fprintf(stderr, "--messages must be >= 0 and --size > 0\n");
    return 2;
  }
  corio::runtime rt;
  return rt.block_on(run(*server, messages, static_cast<std::size_t>(size)));
}
