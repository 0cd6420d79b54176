// A TCP echo server: an accept loop, one task per connection, a graceful shutdown on signals.
//   echo_server [--host H] [--port P] [--max-conns N] [--once] [--threads N] [--pooled N]
// Prints "listening on ADDRESS" once bound. --max-conns limits concurrent connections (extra
// ones are closed at once); --once serves one connection and exits when it closes. SIGINT or
// SIGTERM stops accepting, gives open connections 5 s to finish, then closes them.
// --threads N (N > 1): thread-per-core, a corio::runtime_group of N runtimes, each with its own
// SO_REUSEPORT listener on the same port (the kernel spreads connections); --max-conns applies
// per thread. --pooled N: connections read through a corio::buffer_pool of N buffers of 16 KiB
// (per thread) instead of each holding its own 16 KiB buffer: an idle connection then holds no
// buffer at all.
#include <corio/corio.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace net = corio::net;
using namespace std::chrono_literals;

struct options {
  std::string host = "127.0.0.1";
  int port = 7000;
  std::size_t max_conns = 10000;
  bool once = false;
  std::size_t threads = 1;
  std::size_t pooled = 0;  ///< buffers in the pool; 0: a buffer per connection
};

// Echoes until the client hangs up; any error just ends the connection.
corio::task<void> serve(net::tcp_stream stream) {
  std::array<std::byte, 16 * 1024> buf;
  for (;;) {
    auto n = co_await stream.read(buf);
    if (!n || *n == 0) co_return;  // error or end-of-stream
    if (!co_await stream.write_all(std::span(buf).first(*n))) co_return;
  }
}  // dropping the stream closes it

// The same with pooled reads: a buffer only while a message is being echoed.
corio::task<void> serve_pooled(net::tcp_stream stream, corio::buffer_pool& pool) {
  for (;;) {
    auto b = co_await stream.read_pooled(pool);
    if (!b || b->empty()) co_return;
    if (!co_await stream.write_all(b->bytes())) co_return;
  }  // the lease goes back to the pool here, before the next read waits
}

// Accepts until cancelled (or, with --once, until the first connection is done).
// The pool (with --pooled) of this thread's runtime, into out; it must outlive the
// connections. False, with the reason printed, if it cannot be made.
bool make_pool(const options& opt, std::optional<corio::buffer_pool>& out) {
  if (opt.pooled == 0) return true;
  auto p = corio::buffer_pool::create(opt.pooled, 16 * 1024);
  if (!p) {
    std::fprintf(stderr, "buffer pool of %zu: %s\n", opt.pooled, p.error().message().c_str());
    return false;
  }
  out.emplace(std::move(*p));
  return true;
}

corio::task<void> accept_loop(net::tcp_listener& listener, corio::task_group& clients, const options& opt,
                              corio::buffer_pool* pool) {
  auto serve_one = [pool](net::tcp_stream s) { return pool ? serve_pooled(std::move(s), *pool) : serve(std::move(s)); };
  bool starved = false;  // out of descriptors: reported once, until an accept succeeds again
  for (;;) {
    auto conn = co_await listener.accept();
    if (!conn) {
      if (!corio::is_resource_exhausted(conn.error())) {  // e.g. ECONNABORTED: that client is gone, go on
        std::fprintf(stderr, "accept: %s\n", conn.error().message().c_str());
        continue;
      }
      // EMFILE and friends: the waiting connection stays in the backlog. Report once, then
      // retry every 50 ms (a closing connection frees a descriptor) instead of spinning.
      // strerror, not message(): no call on the category object while descriptors are out.
      if (!starved) {
        std::fprintf(stderr, "accept: %s; pausing accepts until a descriptor is freed\n",
                     std::strerror(conn.error().value()));
        starved = true;
      }
      co_await corio::sleep_for(50ms);
      continue;
    }
    if (starved) {
      std::fprintf(stderr, "accept: resumed\n");
      starved = false;
    }
    if (opt.once) co_return co_await serve_one(std::move(conn->stream));
    if (clients.size() >= opt.max_conns) continue;  // over the limit: dropping conn closes it
    clients.spawn(serve_one(std::move(conn->stream)));
  }
}

corio::task<int> run(options opt) {
  auto signals = corio::signal_set::create({SIGINT, SIGTERM});
  if (!signals) {
    std::fprintf(stderr, "signals: %s\n", signals.error().message().c_str());
    co_return 1;
  }
  auto where = net::address::parse(opt.host + ":" + std::to_string(opt.port));
  if (!where) {
    std::fprintf(stderr, "bad address %s:%d: %s\n", opt.host.c_str(), opt.port, where.error().message().c_str());
    co_return 2;
  }
  std::optional<corio::buffer_pool> pool;
  if (!make_pool(opt, pool)) co_return 2;
  auto listener = net::tcp_listener::bind(*where);
  if (!listener) {
    std::fprintf(stderr, "bind %s: %s\n", where->to_string().c_str(), listener.error().message().c_str());
    co_return 1;
  }
  std::printf("listening on %s\n", listener->local_address()->to_string().c_str());
  std::fflush(stdout);

  corio::task_group clients;
  // Whichever ends first: the accept loop (--once) or a signal. The other is cancelled.
  auto first = co_await corio::when_any(accept_loop(*listener, clients, opt, pool ? &*pool : nullptr), signals->wait());
  if (first && first->index == 1) {
    std::printf("signal received: closing %zu connection(s)\n", clients.size());
    std::fflush(stdout);
  }
  co_await clients.shutdown(std::chrono::steady_clock::now() + 5s);
  co_return 0;
}

// --threads: one listener and accept loop per runtime of the group, all on the same port. The main
// thread's own runtime only waits for a signal; channels carry "bound", "stop" and "done"
// between it and the group.
corio::task<int> run_group(options opt) {
  // Created first: it blocks SIGINT/SIGTERM on this thread, and the group's threads, started
  // below, inherit that mask, so only this signal_set sees them.
  auto signals = corio::signal_set::create({SIGINT, SIGTERM});
  if (!signals) {
    std::fprintf(stderr, "signals: %s\n", signals.error().message().c_str());
    co_return 1;
  }
  auto where = net::address::parse(opt.host + ":" + std::to_string(opt.port));
  if (!where) {
    std::fprintf(stderr, "bad address %s:%d: %s\n", opt.host.c_str(), opt.port, where.error().message().c_str());
    co_return 2;
  }
  // Port 0: a first listener learns the kernel's choice for the others to join; it is closed
  // before anything is printed, so no client ever reaches it.
  auto probe = net::tcp_listener::bind(*where, {.reuse_port = true});
  if (!probe) {
    std::fprintf(stderr, "bind %s: %s\n", where->to_string().c_str(), probe.error().message().c_str());
    co_return 1;
  }
  const net::address bound = *probe->local_address();

  corio::runtime_group group({.threads = opt.threads});
  corio::channel<std::string> ready;  // "" once thread i listens, else why not
  corio::channel<int> done;           // one per thread when its accept loop and clients are over
  std::vector<corio::channel<int>> stop(opt.threads);
  group.start([&](std::size_t i) -> corio::task<void> {
    auto listener = net::tcp_listener::bind(bound, {.reuse_port = true});
    if (!listener) {
      ready.send("thread " + std::to_string(i) + ": bind " + bound.to_string() + ": " + listener.error().message());
      done.send(1);
      co_return;
    }
    std::optional<corio::buffer_pool> pool;
    if (!make_pool(opt, pool)) {
      ready.send("thread " + std::to_string(i) + ": no buffer pool");
      done.send(1);
      co_return;
    }
    ready.send("");
    corio::task_group clients;
    co_await corio::when_any(accept_loop(*listener, clients, opt, pool ? &*pool : nullptr), stop[i].recv());
    co_await clients.shutdown(std::chrono::steady_clock::now() + 5s);
    done.send(0);
  });
  int rc = 0;
  for (std::size_t i = 0; i < opt.threads; ++i) {
    auto r = co_await ready.recv();
    if (r && !r->empty()) {
      std::fprintf(stderr, "%s\n", r->c_str());
      rc = 1;
    }
  }
  (void)co_await probe->close();
  if (rc == 0) {
    std::printf("listening on %s\n", bound.to_string().c_str());
    std::fflush(stdout);
    co_await signals->wait();
    std::printf("signal received: closing connections on %zu threads\n", opt.threads);
    std::fflush(stdout);
  }
  for (auto& s : stop) s.send(1);
  for (std::size_t i = 0; i < opt.threads; ++i) (void)co_await done.recv();
  group.shutdown(1s);
  co_return rc;
}

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) opt.host = argv[++i];
    else if (arg == "--port" && has_value) opt.port = std::atoi(argv[++i]);
    else if (arg == "--max-conns" && has_value) opt.max_conns = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--once") opt.once = true;
    else if (arg == "--threads" && has_value) opt.threads = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--pooled" && has_value) opt.pooled = std::strtoul(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--max-conns N] [--once] [--threads N] [--pooled N]\n", argv[0]);
      return 2;
    }
  }
  if (opt.threads == 0 || (opt.threads > 1 && opt.once)) {
    std::fprintf(stderr, "--threads needs N >= 1, and --once only works with one thread\n");
    return 2;
  }
  corio::runtime rt;
  return rt.block_on(opt.threads > 1 ? run_group(opt) : run(opt));
}
