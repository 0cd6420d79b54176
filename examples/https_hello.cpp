// A tiny HTTPS server: TLS (ALPN http/1.1) over TCP, one small HTTP/1.1 response per
// connection, then a polite close. `curl --cacert ca.crt https://localhost:PORT/` fetches it.
//   https_hello --cert server.crt --key server.key [--host H] [--port P] [--requests N]
// Prints "listening on ADDRESS" once bound; --requests N exits after N responses.
#include <corio/corio.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace net = corio::net;
using namespace std::chrono_literals;

constexpr std::string_view body = "hello from corio over TLS\n";

// Reads the request head (up to the blank line), answers, closes. True if it answered.
corio::task<bool> serve(net::tls_stream tls) {
  std::string head;
  std::array<std::byte, 4096> buf;
  while (head.find("\r\n\r\n") == std::string::npos) {
    auto n = co_await corio::timeout(10s, tls.read(buf));
    if (!n || *n == 0 || head.size() > 64 * 1024) co_return false;
    head.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  const bool get = head.starts_with("GET ");
  const std::string response = std::string(get ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 405 Method Not Allowed\r\n") +
                               "Content-Type: text/plain\r\nContent-Length: " +
                               std::to_string(get ? body.size() : 0) + "\r\nConnection: close\r\n\r\n" +
                               (get ? std::string(body) : std::string());
  auto sent = co_await tls.write_all(std::as_bytes(std::span(response)));
  co_await tls.graceful_close(5s);  // close_notify, FIN, then the client's close_notify
  co_return sent.has_value();
}

corio::task<int> run(net::tls_context ctx, net::address where, long requests) {
  auto listener = net::tcp_listener::bind(where);
  if (!listener) {
    std::fprintf(stderr, "bind %s: %s\n", where.to_string().c_str(), listener.error().message().c_str());
    co_return 1;
  }
  std::printf("listening on %s\n", listener->local_address()->to_string().c_str());
  std::fflush(stdout);
  for (long served = 0; requests <= 0 || served < requests;) {
    auto conn = co_await listener->accept();
    if (!conn) {
      co_await corio::sleep_for(50ms);
      continue;
    }
    auto tls = net::tls_stream::server(std::move(conn->stream), ctx);
    if (tls && co_await serve(std::move(*tls))) ++served;  // one at a time: a demo, not a server
  }
  co_return 0;
}

int main(int argc, char** argv) {
  std::string cert, key, host = "127.0.0.1", port = "8443";
  long requests = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--cert" && has_value) cert = argv[++i];
    else if (arg == "--key" && has_value) key = argv[++i];
    else if (arg == "--host" && has_value) host = argv[++i];
    else if (arg == "--port" && has_value) port = argv[++i];
    else if (arg == "--requests" && has_value) requests = std::strtol(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s --cert FILE --key FILE [--host H] [--port P] [--requests N]\n", argv[0]);
      return 2;
    }
  }
  auto ctx = net::tls_context::server({.cert_chain_file = cert, .private_key_file = key, .alpn = {"http/1.1"}});
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
  return rt.block_on(run(std::move(*ctx), *where, requests));
}
