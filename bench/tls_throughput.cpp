// TLS echo throughput next to plain TCP, through the same corio build: an echo server on one
// thread (its own runtime), clients on another, each connection streaming --mib MiB in
// --chunk-byte writes while reading the echo back. Prints MB/s of echoed payload for each mode.
//   tls_throughput [--mode tcp|tls|both] [--conns N] [--mib M] [--chunk BYTES] [--rounds R]
// Certificates: a self-signed one made with `openssl req` in a temporary directory.
#include <corio/corio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace net = corio::net;
using clock_type = std::chrono::steady_clock;

struct options {
  std::string mode = "both";
  int conns = 4;
  std::size_t mib = 64;
  std::size_t chunk = 16 * 1024;
  int rounds = 3;
};

// ---- server (its own thread and runtime) ----

template <class S>
corio::task<void> echo(S s) {
  std::vector<std::byte> buf(16 * 1024);
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) break;
    if (!co_await s.write_all(std::span(buf).first(*n))) break;
  }
}

corio::task<void> serve(net::tcp_listener& l, const net::tls_context* tls, int conns) {
  corio::task_group g;
  for (int i = 0; i < conns; ++i) {
    auto c = co_await l.accept();
    if (!c) continue;
    (void)c->stream.set_nodelay();
    if (tls) {
      auto s = net::tls_stream::server(std::move(c->stream), *tls);
      if (s) g.spawn(echo(std::move(*s)));
    } else {
      g.spawn(echo(std::move(c->stream)));
    }
  }
  co_await g.join();
}

// ---- clients ----

template <class S>
corio::task<std::size_t> drive(S s, std::size_t total, std::size_t chunk) {
  auto [rd, wr] = std::move(s).split();
  auto writer = corio::spawn([](auto w, std::size_t total, std::size_t chunk) -> corio::task<void> {
    std::vector<std::byte> data(chunk, std::byte{0x5a});
    for (std::size_t sent = 0; sent < total; sent += chunk) {
      if (!co_await w.write_all(data)) co_return;
    }
    co_await w.shutdown();
  }(std::move(wr), total, chunk));
  std::vector<std::byte> buf(64 * 1024);
  std::size_t got = 0;
  while (got < total) {
    auto n = co_await rd.read(buf);
    if (!n || *n == 0) break;
    got += *n;
  }
  co_await writer;
  co_return got;
}

corio::task<double> run_clients(net::address where, const net::tls_context* tls, const options& o) {
  std::vector<corio::join_handle<std::size_t>> hs;
  const std::size_t total = o.mib << 20;
  const auto t0 = clock_type::now();
  for (int i = 0; i < o.conns; ++i) {
    auto c = co_await net::tcp_stream::connect(where);
    if (!c) co_return -1;
    (void)c->set_nodelay();
    if (tls) {
      auto s = net::tls_stream::client(std::move(*c), *tls, "localhost");
      if (!s) co_return -1;
      hs.push_back(corio::spawn(drive(std::move(*s), total, o.chunk)));
    } else {
      hs.push_back(corio::spawn(drive(std::move(*c), total, o.chunk)));
    }
  }
  std::size_t bytes = 0;
  for (auto& h : hs) {
    auto r = co_await h;
    if (r) bytes += *r;
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  if (bytes != total * static_cast<std::size_t>(o.conns)) co_return -1;
  co_return static_cast<double>(bytes) / 1e6 / secs;
}

double measure(bool use_tls, const options& o, const std::string& dir) {
  std::promise<net::address> bound;
  auto where = bound.get_future();
  std::thread server([&] {
    corio::runtime rt;
    rt.block_on([](std::promise<net::address>& bound, bool use_tls, const options& o,
                   const std::string& dir) -> corio::task<void> {
      auto l = net::tcp_listener::bind(net::address::ipv4_loopback(0));
      std::optional<net::tls_context> ctx;
      if (use_tls) {
        auto c = net::tls_context::server({.cert_chain_file = dir + "/c.pem", .private_key_file = dir + "/k.pem"});
        if (c) ctx = std::move(*c);
      }
      bound.set_value(*l->local_address());
      co_await serve(*l, ctx ? &*ctx : nullptr, o.conns);
    }(bound, use_tls, o, dir));
  });
  corio::runtime rt;
  const double mbps = rt.block_on([](net::address where, bool use_tls, const options& o,
                                     const std::string& dir) -> corio::task<double> {
    std::optional<net::tls_context> ctx;
    if (use_tls) {
      auto c = net::tls_context::client({.ca_file = dir + "/c.pem"});
      if (!c) co_return -1;
      ctx = std::move(*c);
    }
    co_return co_await run_clients(where, ctx ? &*ctx : nullptr, o);
  }(where.get(), use_tls, o, dir));
  server.join();
  return mbps;
}

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--mode") o.mode = v;
    else if (a == "--conns") o.conns = std::atoi(v.c_str());
    else if (a == "--mib") o.mib = std::strtoul(v.c_str(), nullptr, 10);
    else if (a == "--chunk") o.chunk = std::strtoul(v.c_str(), nullptr, 10);
    else if (a == "--rounds") o.rounds = std::atoi(v.c_str());
    else return std::fprintf(stderr, "unknown option %s\n", a.c_str()), 2;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("corio-tls-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d +
                          "/k.pem -out " + d + "/c.pem -subj /CN=localhost -days 1 -addext "
                          "subjectAltName=DNS:localhost >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::fprintf(stderr, "openssl req failed\n"), 1;
  {
    corio::runtime rt;
    std::printf("backend %s, %d connections x %zu MiB each way, %zu-byte writes, %d rounds (interleaved)\n",
                rt.backend().data(), o.conns, o.mib, o.chunk, o.rounds);
  }
  std::vector<double> tcp, tls;
  for (int r = 0; r < o.rounds; ++r) {
    if (o.mode != "tls") tcp.push_back(measure(false, o, d));
    if (o.mode != "tcp") tls.push_back(measure(true, o, d));
  }
  auto report = [](const char* name, std::vector<double> v) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    std::printf("%-4s median %8.1f MB/s  (min %.1f, max %.1f)\n", name, v[v.size() / 2], v.front(), v.back());
  };
  report("tcp", tcp);
  report("tls", tls);
  std::filesystem::remove_all(dir);
  return 0;
}
