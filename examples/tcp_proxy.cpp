// A TCP proxy: every client connection gets its own upstream connection, and bytes are copied
// both ways at once.
//   tcp_proxy --upstream HOST:PORT [--host H] [--port P] [--connect-timeout-ms N]
//             [--idle-timeout-ms N] [--buffer N] [--max-conns N] [--queue-entries N]
// Prints "listening on ADDRESS" once bound. Per pair:
// - both streams are split; one task copies client -> upstream, another upstream -> client;
// - end-of-stream one way is passed on as a half-close (FIN) while the other way goes on;
// - an error either way (a reset, a failed write) resets both connections (RST), at once;
// - no byte either way for --idle-timeout-ms resets both; an upstream that does not accept
//   within --connect-timeout-ms (or refuses) resets the client; out of descriptors, the connect
//   is retried within that time.
// Accepting backs off on EMFILE. SIGINT/SIGTERM stops accepting and gives open pairs 10 s.
#include <corio/corio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace net = corio::net;
using namespace std::chrono_literals;

namespace {

struct options {
  std::string host = "127.0.0.1";
  int port = 9000;
  std::string upstream;
  std::chrono::milliseconds connect_timeout = 5s;
  std::chrono::milliseconds idle_timeout = 300s;
  std::size_t buffer = 64 * 1024;
  std::size_t max_conns = 10000;
  corio::runtime_options runtime;  // --queue-entries: the io_uring ring's size
};

/// What the two directions of a pair share: the stop that ends both on an error, and when a
/// byte last moved (the idle timeout is about the pair, not one direction).
struct pair_state {
  corio::stop_source failed;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
};

/// The copy buffers, reused from pair to pair: allocating and zeroing two 64 KiB buffers per
/// pair was 15% of the proxy's CPU with a new connection per request. One runtime, one thread.
class copy_buffers {
 public:
  explicit copy_buffers(std::size_t size) : size_(size) {}

  /// A buffer for one direction, back on the free list when the lease ends.
  class lease {
   public:
    lease(copy_buffers& pool, std::unique_ptr<std::byte[]> b) : pool_(pool), b_(std::move(b)) {}
    lease(const lease&) = delete;
    ~lease() { pool_.give_back(std::move(b_)); }
    std::span<std::byte> span() const noexcept { return {b_.get(), pool_.size_}; }

   private:
    copy_buffers& pool_;
    std::unique_ptr<std::byte[]> b_;
  };

  lease take() {
    if (free_.empty()) return {*this, std::make_unique_for_overwrite<std::byte[]>(size_)};
    auto b = std::move(free_.back());
    free_.pop_back();
    return {*this, std::move(b)};
  }

 private:
  void give_back(std::unique_ptr<std::byte[]> b) {
    if (free_.size() < max_kept) free_.push_back(std::move(b));  // past that, freed
  }
  static constexpr std::size_t max_kept = 1024;
  std::size_t size_;
  std::vector<std::unique_ptr<std::byte[]>> free_;
};

/// Copies from `from` to `to` until end-of-stream (then `to` is dropped: FIN to its peer) or a
/// failure (then both directions stop, and every half is aborted: RST on both connections).
corio::task<void> pump(net::tcp_read_half from, net::tcp_write_half to, pair_state& pair, copy_buffers& buffers,
                       const options& opt) {
  const auto lease = buffers.take();
  const std::span<std::byte> buf = lease.span();
  auto stop = pair.failed.token();
  for (;;) {
    auto r = co_await corio::when_any(from.read(buf), stop.wait(), corio::sleep_for(opt.idle_timeout));
    if (!r) break;  // this task was cancelled (the shutdown deadline)
    // The read may have lost the race and still brought data (data wins): look at it first.
    if (auto& got = std::get<0>(r->values)) {
      if (!*got) break;  // a read error: reset both ways
      const std::size_t n = **got;
      if (n == 0) co_return;  // end-of-stream: dropping `to` passes it on
      pair.last_activity = std::chrono::steady_clock::now();
      if (!co_await to.write_all(buf.first(n))) break;
      continue;
    }
    if (r->index == 1) break;  // the other direction failed
    if (std::chrono::steady_clock::now() - pair.last_activity >= opt.idle_timeout) break;  // idle both ways
  }
  pair.failed.request_stop();
  from.abort();
  to.abort();
}

// Connects to the upstream within --connect-timeout-ms. Out of descriptors (the client took the
// last one, and a closing pair has not yet freed its second), it retries every 50 ms within the
// same deadline instead of resetting a client it could serve a moment later.
corio::task<corio::result<net::tcp_stream>> connect_upstream(net::address upstream, const options& opt) {
  const auto deadline = std::chrono::steady_clock::now() + opt.connect_timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto up = co_await corio::timeout(std::max(left, 0ms), net::tcp_stream::connect(upstream));
    if (up || !corio::is_resource_exhausted(up.error()) || left <= 50ms) co_return up;
    co_await corio::sleep_for(50ms);
  }
}

corio::task<void> serve(net::tcp_stream client, net::address upstream, copy_buffers& buffers, const options& opt) {
  auto up = co_await connect_upstream(upstream, opt);
  if (!up) {
    client.abort();  // refused, unreachable or too slow: the client sees a reset
    co_return;
  }
  (void)client.set_nodelay();
  (void)up->set_nodelay();
  auto [client_rd, client_wr] = std::move(client).split();
  auto [up_rd, up_wr] = std::move(*up).split();
  pair_state pair;
  // when_all frees a finished direction's frame at once: its write half's FIN goes out then.
  (void)co_await corio::when_all(pump(std::move(client_rd), std::move(up_wr), pair, buffers, opt),
                                 pump(std::move(up_rd), std::move(client_wr), pair, buffers, opt));
}

corio::task<void> accept_loop(net::tcp_listener& listener, net::address upstream, corio::task_group& pairs,
                              copy_buffers& buffers, const options& opt) {
  bool starved = false;
  for (;;) {
    auto conn = co_await listener.accept();
    if (!conn) {
      if (corio::is_resource_exhausted(conn.error())) {  // the client waits in the backlog; do not spin
        // strerror, not message(): no call on the category object while descriptors are out.
        if (!starved) std::fprintf(stderr, "accept: %s; backing off\n", std::strerror(conn.error().value()));
        starved = true;
        co_await corio::sleep_for(50ms);
      }
      continue;
    }
    starved = false;
    if (pairs.size() >= opt.max_conns) {
      conn->stream.abort();
      continue;
    }
    pairs.spawn(serve(std::move(conn->stream), upstream, buffers, opt));
  }
}

corio::task<int> run(options opt) {
  auto signals = corio::signal_set::create({SIGINT, SIGTERM});
  if (!signals) {
    std::fprintf(stderr, "signals: %s\n", signals.error().message().c_str());
    co_return 1;
  }
  auto upstream = net::address::parse(opt.upstream);
  auto where = net::address::parse(opt.host + ":" + std::to_string(opt.port));
  if (!upstream || !where) {
    std::fprintf(stderr, "bad address: %s\n", !upstream ? opt.upstream.c_str() : opt.host.c_str());
    co_return 2;
  }
  auto listener = net::tcp_listener::bind(*where);
  if (!listener) {
    std::fprintf(stderr, "bind %s: %s\n", where->to_string().c_str(), listener.error().message().c_str());
    co_return 1;
  }
  // Its own address as upstream (--port 0 can be given the upstream's port when nothing listens
  // there): every pair would open another, until EMFILE.
  if (listener->local_address()->to_string() == upstream->to_string()) {
    std::fprintf(stderr, "upstream %s is this proxy's own address\n", upstream->to_string().c_str());
    co_return 2;
  }
  std::printf("listening on %s\n", listener->local_address()->to_string().c_str());
  std::fflush(stdout);

  copy_buffers buffers(opt.buffer);  // outlives the pairs: declared before them
  corio::task_group pairs;
  co_await corio::when_any(accept_loop(*listener, *upstream, pairs, buffers, opt), signals->wait());
  (void)co_await listener->close();
  std::printf("signal received: %zu pair(s) open\n", pairs.size());
  std::fflush(stdout);
  const bool clean = co_await pairs.shutdown(10s);
  std::printf("shutdown %s\n", clean ? "clean" : "cut at the deadline");
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--upstream" && has_value) opt.upstream = argv[++i];
    else if (arg == "--host" && has_value) opt.host = argv[++i];
    else if (arg == "--port" && has_value) opt.port = std::atoi(argv[++i]);
    else if (arg == "--connect-timeout-ms" && has_value) opt.connect_timeout = std::chrono::milliseconds(std::atol(argv[++i]));
    else if (arg == "--idle-timeout-ms" && has_value) opt.idle_timeout = std::chrono::milliseconds(std::atol(argv[++i]));
    else if (arg == "--buffer" && has_value) opt.buffer = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--max-conns" && has_value) opt.max_conns = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--queue-entries" && has_value) opt.runtime.queue_entries = unsigned(std::strtoul(argv[++i], nullptr, 10));
    else {
      opt.upstream.clear();
      break;
    }
  }
  if (opt.upstream.empty() || opt.buffer == 0) {
    std::fprintf(stderr,
                 "usage: %s --upstream HOST:PORT [--host H] [--port P] [--connect-timeout-ms N] "
                 "[--idle-timeout-ms N] [--buffer N] [--max-conns N] [--queue-entries N]\n",
                 argv[0]);
    return 2;
  }
  corio::runtime rt(opt.runtime);
  return rt.block_on(run(opt));
}
