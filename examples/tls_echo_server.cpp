// A TLS echo server (README.md shows it in full): TLS over each accepted TCP connection,
// echoing until the client's close_notify, then closing politely.
//   tls_echo_server CERT KEY [PORT] [--once]    PORT 0: any free port; prints "listening on ADDRESS"
#include <corio/corio.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace net = corio::net;
using namespace std::chrono_literals;

corio::task<void> serve(net::tls_stream tls) {
  std::array<std::byte, 16 * 1024> buf;
  for (;;) {
    auto n = co_await tls.read(buf);  // the first read runs the handshake
    if (!n || *n == 0) break;         // an error, or the client's close_notify
    if (!co_await tls.write_all(std::span(buf).first(*n))) break;
  }
  co_await tls.graceful_close(5s);  // close_notify, FIN, the client's close_notify, close
}

corio::task<int> run(net::tls_context ctx, std::uint16_t port, bool once) {
  auto listener = net::tcp_listener::bind(net::address::ipv4_loopback(port));
  if (!listener) {
    std::fprintf(stderr, "bind: %s\n", listener.error().message().c_str());
    co_return 1;
  }
  std::printf("listening on %s\n", listener->local_address()->to_string().c_str());
  std::fflush(stdout);
  corio::task_group clients;
  for (;;) {
    auto conn = co_await listener->accept();
    if (!conn) {  // e.g. out of descriptors: keep serving the others, retry shortly
      co_await corio::sleep_for(50ms);
      continue;
    }
    auto tls = net::tls_stream::server(std::move(conn->stream), ctx);
    if (!tls) continue;
    if (!once) {
      clients.spawn(serve(std::move(*tls)));
      continue;
    }
    co_await serve(std::move(*tls));  // --once: one connection, then exit
    co_return 0;
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CERT KEY [PORT] [--once]\n", argv[0]);
    return 2;
  }
  auto ctx = net::tls_context::server({.cert_chain_file = argv[1], .private_key_file = argv[2]});
  if (!ctx) {
    std::fprintf(stderr, "certificate or key: %s\n", ctx.error().message().c_str());
    return 1;
  }
  const auto port = static_cast<std::uint16_t>(argc > 3 ? std::atoi(argv[3]) : 7443);
  const bool once = argc > 4 && std::string(argv[4]) == "--once";
  corio::runtime rt;
  return rt.block_on(run(std::move(*ctx), port, once));
}
