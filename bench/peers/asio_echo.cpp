// asio_echo: a TCP echo server on Boost.Asio with C++20 coroutines (co_spawn, use_awaitable),
// one io_context on one thread (concurrency hint 1: no locking), as Asio's own examples do it.
//   asio_echo [--port P] [--host H]
// Built twice from this file: asio_echo_epoll (Asio's default reactor) and asio_echo_uring
// (BOOST_ASIO_HAS_IO_URING + BOOST_ASIO_DISABLE_EPOLL, linking liburing). Like
// examples/echo_server (corio_echo): Nagle on, a 16 KiB buffer in each connection's frame.
// Prints "listening on ADDR" once bound.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> serve(tcp::socket s) {
  char buf[16 * 1024];
  try {
    for (;;) {
      std::size_t n = co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
      co_await asio::async_write(s, asio::buffer(buf, n), asio::use_awaitable);
    }
  } catch (const std::exception&) {
    // end of stream or an error: the connection ends
  }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
  for (;;) {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), serve(std::move(s)), asio::detached);
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
  try {
    asio::io_context ctx(1);
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port)));
    std::printf("listening on %s:%d\n", host.c_str(), acceptor.local_endpoint().port());
    std::fflush(stdout);
    asio::co_spawn(ctx, listen(acceptor), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    ctx.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_echo: %s\n", e.what());
    return 1;
  }
}
