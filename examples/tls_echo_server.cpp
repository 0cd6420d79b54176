// A TLS echo server: TLS over each accepted TCP connection, echoing until the client's
// close_notify, then closing politely (close_notify, FIN, the client's close_notify, close).
//   tls_echo_server --cert server.crt --key server.key [--host H] [--port P] [--once]
// Prints "listening on ADDRESS" once bound; --once serves one connection and exits.
#include <corio/corio.hpp>

#include <array>
#include <chrono>
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
  co_await tls.graceful_close(5s);
}

corio::task<int> run(net::tls_context ctx, net::address where, bool once) {
  auto listener = net::tcp_listener::bind(where);
  if (!listener) {
    std::fprintf(stderr, "bind %s: %s\n", where.to_string().c_str(), listener.error().message().c_str());
    co_return 1;
  }
  std::printf("listening on %s\n", listener->local_address()->to_string().c_str());
  std::fflush(stdout);
  corio::task_group clients;
  for (;;) {
    auto conn = co_await listener->accept();
    if (!conn) {  // e.g. out of descriptors: keep serving the others, try again shortly
      co_await corio::sleep_for(50ms);
      continue;
    }
    auto tls = net::tls_stream::server(std::move(conn->stream), ctx);
    if (!tls) continue;
    if (once) {
      co_await serve(std::move(*tls));
      co_return 0;
    }
    clients.spawn(serve(std::move(*tls)));
  }
}

int main(int argc, char** argv) {
  std::string cert, key, host = "127.0.0.1", port = "7443";
  bool once = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--cert" && has_value) cert = argv[++i];
    else if (arg == "--key" && has_value) key = argv[++i];
    else if (arg == "--host" && has_value) host = argv[++i];
    else if (arg == "--port" && has_value) port = argv[++i];
    else if (arg == "--once") once = true;
    else {
      std::fprintf(stderr, "usage: %s --cert FILE --key FILE [--host H] [--port P] [--once]\n", argv[0]);
      return 2;
    }
  }
  auto ctx = net::tls_context::server({.cert_chain_file = cert, .private_key_file = key});
  if (!ctx) {
    std::fprintf(stderr, "certificate or key: %s\n", ctx.error().message().c_str());
    return 2;
  }
  auto where = net::address::parse(host + ":" + port);
  if (!where) {
    std::fprintf(stderr, "bad address %s:%s\n", host.c_str(), port.c_str());
    return 2;
  }
  corio::runtime rt;
  return rt.block_on(run(std::move(*ctx), *where, once));
}
