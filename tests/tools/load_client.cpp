// corio_load_client: opens many connections to an echo server, holds them all open, then has
// each exchange checksummed messages one at a time (write, read the echo back, compare), and
// optionally samples the server's resident memory. Used by ci/reliability for the load and soak
// runs; the clients live in this process so that the server's descriptors and ours each stay
// under the machine's hard limit (20,000).
//
//   corio_load_client --connect ADDR --conns N --messages M [--size BYTES]
//                     [--watch-pid PID]   sample PID's VmRSS every 100 ms; after the first 10%
//                                         of the messages (warm-up), report its growth
//                     [--max-growth PCT]  fail if that growth exceeds PCT (default 10)
//                     [--limit-s SECONDS] give up after this long (default 300)
// Prints one line of results ("conns=... held=... messages=... errors=0 ...") and exits 0 if
// every connection was held and every message came back intact.
#include <corio/corio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace net = corio::net;
using namespace std::chrono_literals;

namespace {

struct options {
  std::string connect;
  std::size_t conns = 100;
  std::size_t messages = 100;  // per connection
  std::size_t size = 128;
  long watch_pid = 0;
  double max_growth = 10.0;
  int limit_s = 300;
};

struct totals {
  std::size_t connected = 0;
  std::size_t held_peak = 0;
  std::size_t live = 0;
  std::uint64_t messages = 0;
  std::uint64_t errors = 0;
  std::uint64_t warmup_messages = 0;  // after this many, the RSS baseline is taken
  long rss_base_kb = 0;
  long rss_peak_kb = 0;
  bool done = false;
  std::string first_error;
};

std::uint64_t fnv(const std::byte* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<std::uint8_t>(p[i])) * 1099511628211ull;
  return h;
}

/// Message `seq` of connection `id`: id, seq, pseudo-random bytes, then the FNV-1a checksum of
/// everything before it (so a reply can be checked on its own as well as against what was sent).
void make_message(std::vector<std::byte>& m, std::uint64_t id, std::uint64_t seq) {
  std::uint64_t x = (id * 0x9E3779B97F4A7C15ull) ^ (seq + 1) * 0xBF58476D1CE4E5B9ull;
  std::memcpy(m.data(), &id, 8);
  std::memcpy(m.data() + 8, &seq, 8);
  for (std::size_t i = 16; i + 8 < m.size(); ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    m[i] = static_cast<std::byte>(x);
  }
  std::uint64_t sum = fnv(m.data(), m.size() - 8);
  std::memcpy(m.data() + m.size() - 8, &sum, 8);
}

bool checksum_ok(const std::vector<std::byte>& m) {
  std::uint64_t sum = 0;
  std::memcpy(&sum, m.data() + m.size() - 8, 8);
  return sum == fnv(m.data(), m.size() - 8);
}

long rss_kb(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kb = 0;
      in >> kb;
      return kb;
    }
    in.ignore(1 << 12, '\n');
  }
  return -1;
}

void error(totals& t, std::string what) {
  if (t.errors++ == 0) t.first_error = std::move(what);
}

/// One connection's exchange, once every connection is open.
corio::task<void> exchange(net::tcp_stream s, std::uint64_t id, const options& opt, totals& t) {
  std::vector<std::byte> out(opt.size), in(opt.size);
  for (std::uint64_t seq = 0; seq < opt.messages; ++seq) {
    make_message(out, id, seq);
    if (auto w = co_await s.write_all(out); !w) co_return error(t, "write: " + w.error().message());
    if (auto r = co_await s.read_exact(in); !r) co_return error(t, "read: " + r.error().message());
    if (in != out || !checksum_ok(in)) co_return error(t, "message " + std::to_string(seq) + " came back altered");
    ++t.messages;
    if (t.messages == t.warmup_messages && opt.watch_pid) t.rss_base_kb = rss_kb(opt.watch_pid);
  }
}

corio::task<void> sample_rss(const options& opt, totals& t) {
  while (!t.done) {
    co_await corio::sleep_for(100ms);
    if (t.rss_base_kb > 0) t.rss_peak_kb = std::max(t.rss_peak_kb, rss_kb(opt.watch_pid));
  }
}

corio::task<int> run(const options& opt) {
  auto where = net::address::parse(opt.connect);
  if (!where) {
    std::fprintf(stderr, "bad address %s\n", opt.connect.c_str());
    co_return 2;
  }
  totals t;
  t.warmup_messages = std::max<std::uint64_t>(1, opt.conns * opt.messages / 10);
  auto start = std::chrono::steady_clock::now();

  // Open every connection first (in waves, so the server's backlog never overflows), and hold
  // them all before the first message.
  std::vector<net::tcp_stream> streams(opt.conns);
  const std::size_t wave = 500;
  for (std::size_t first = 0; first < opt.conns; first += wave) {
    std::vector<corio::join_handle<void>> connecting;
    for (std::size_t i = first; i < std::min(opt.conns, first + wave); ++i) {
      connecting.push_back(corio::spawn([](const net::address& a, net::tcp_stream& slot, totals& t) -> corio::task<void> {
        auto s = co_await corio::timeout(30s, net::tcp_stream::connect(a));
        if (!s) co_return error(t, "connect: " + s.error().message());
        slot = std::move(*s);
        ++t.connected;
      }(*where, streams[i], t)));
    }
    for (auto& c : connecting) co_await c;
  }
  t.held_peak = t.connected;
  auto connected_at = std::chrono::steady_clock::now();

  corio::join_handle<void> sampler;
  if (opt.watch_pid) sampler = corio::spawn(sample_rss(opt, t));
  corio::task_group group;
  for (std::size_t i = 0; i < opt.conns; ++i) {
    if (streams[i]) group.spawn(exchange(std::move(streams[i]), i, opt, t));
  }
  bool in_time = co_await group.shutdown(start + std::chrono::seconds(opt.limit_s));
  t.done = true;
  if (opt.watch_pid) co_await sampler;
  auto end = std::chrono::steady_clock::now();

  double secs = std::chrono::duration<double>(end - start).count();
  double xsecs = std::chrono::duration<double>(end - connected_at).count();
  std::uint64_t expected = static_cast<std::uint64_t>(opt.conns) * opt.messages;
  std::printf("conns=%zu held=%zu messages=%llu/%llu errors=%llu connect_s=%.2f exchange_s=%.2f msgs_per_s=%.0f",
              opt.conns, t.held_peak, static_cast<unsigned long long>(t.messages),
              static_cast<unsigned long long>(expected), static_cast<unsigned long long>(t.errors),
              secs - xsecs, xsecs, static_cast<double>(t.messages) / xsecs);
  bool ok = in_time && t.errors == 0 && t.messages == expected && t.held_peak == opt.conns;
  if (opt.watch_pid) {
    double growth = t.rss_base_kb > 0 ? 100.0 * static_cast<double>(t.rss_peak_kb - t.rss_base_kb) / static_cast<double>(t.rss_base_kb) : 1e9;
    std::printf(" server_rss_after_warmup_kb=%ld server_rss_peak_kb=%ld growth_pct=%.1f", t.rss_base_kb, t.rss_peak_kb,
                growth);
    if (growth > opt.max_growth) {
      ok = false;
      std::printf(" (more than %.0f%%)", opt.max_growth);
    }
  }
  std::printf("\n");
  if (!in_time) std::printf("not finished within %d s\n", opt.limit_s);
  if (t.errors) std::printf("first error: %s\n", t.first_error.c_str());
  co_return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool v = i + 1 < argc;
    if (arg == "--connect" && v) opt.connect = argv[++i];
    else if (arg == "--conns" && v) opt.conns = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--messages" && v) opt.messages = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--size" && v) opt.size = std::max<std::size_t>(24, std::strtoul(argv[++i], nullptr, 10));
    else if (arg == "--watch-pid" && v) opt.watch_pid = std::strtol(argv[++i], nullptr, 10);
    else if (arg == "--max-growth" && v) opt.max_growth = std::strtod(argv[++i], nullptr);
    else if (arg == "--limit-s" && v) opt.limit_s = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s --connect ADDR --conns N --messages M [--size B] [--watch-pid PID] "
                   "[--max-growth PCT] [--limit-s S]\n", argv[0]);
      return 2;
    }
  }
  // Each connection is a descriptor: use the whole hard limit.
  ::rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  corio::runtime rt;
  return rt.block_on(run(opt));
}
