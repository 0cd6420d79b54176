// Micro-benchmarks of I/O through corio, on whichever driver this build uses:
//   tcp_pingpong_64        64 B over loopback, client and echo task on one runtime:
//                          write + read on the client (the echo task does read + write)
//   tcp_pingpong_64_all    the same with write_all + read_exact (what most code calls)
//   read_at_4k             4 KiB read_at at random aligned offsets of a 64 MiB page-cached file
//   memory_per_connection  heap bytes per idle accepted connection, each served by a task like
//                          examples/echo_server's (a 16 KiB buffer in its frame), 1,000 of them
// Allocations per iteration are reported as counters ("allocs/op").
#include "alloc_counter.hpp"

#include <benchmark/benchmark.h>
#include <corio/corio.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace net = corio::net;
using corio_bench::alloc_now;
using corio_bench::alloc_totals;

void report_allocs(benchmark::State& state, alloc_totals before) {
  alloc_totals after = alloc_now();
  state.counters["allocs/op"] = benchmark::Counter(static_cast<double>(after.count - before.count),
                                                   benchmark::Counter::kAvgIterations);
  state.counters["bytes/op"] = benchmark::Counter(static_cast<double>(after.bytes - before.bytes),
                                                  benchmark::Counter::kAvgIterations);
}

// The echo side of the ping-pong: read what comes, write it back, until end-of-stream.
corio::task<void> echo(net::tcp_stream s, bool use_all) {
  std::array<std::byte, 16 * 1024> buf;
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) co_return;
    if (use_all) {
      if (!co_await s.write_all(std::span(buf).first(*n))) co_return;
    } else {
      std::size_t done = 0;
      while (done < *n) {
        auto w = co_await s.write(std::span(buf).subspan(done, *n - done));
        if (!w) co_return;
        done += *w;
      }
    }
  }
}

corio::task<void> pingpong(benchmark::State& state, bool use_all) {
  auto listener = net::tcp_listener::bind(*net::address::parse("127.0.0.1:0"));
  if (!listener) {
    state.SkipWithError("bind failed");
    co_return;
  }
  auto client = co_await net::tcp_stream::connect(*listener->local_address());
  auto accepted = co_await listener->accept();
  if (!client || !accepted) {
    state.SkipWithError("connect/accept failed");
    co_return;
  }
  (void)client->set_nodelay();
  (void)accepted->stream.set_nodelay();
  auto server = corio::spawn(echo(std::move(accepted->stream), use_all));
  std::array<std::byte, 64> out{}, in{};
  out.fill(std::byte{0x5a});
  alloc_totals a0 = alloc_now();
  bool ok = true;
  for (auto _ : state) {
    if (use_all) {
      ok = co_await client->write_all(out) && co_await client->read_exact(in);
    } else {
      auto w = co_await client->write(out);
      std::size_t got = 0;
      while (w && got < in.size()) {
        auto r = co_await client->read(std::span(in).subspan(got));
        if (!r || *r == 0) break;
        got += *r;
      }
      ok = w && *w == out.size() && got == in.size();
    }
    if (!ok) break;
  }
  report_allocs(state, a0);
  if (!ok) state.SkipWithError("ping-pong failed");
  *client = net::tcp_stream{};  // hang up: the echo task sees end-of-stream
  (void)co_await server;
}

void tcp_pingpong_64(benchmark::State& state) {
  corio::runtime rt;
  rt.block_on(pingpong(state, false));
}
BENCHMARK(tcp_pingpong_64);

void tcp_pingpong_64_all(benchmark::State& state) {
  corio::runtime rt;
  rt.block_on(pingpong(state, true));
}
BENCHMARK(tcp_pingpong_64_all);

// ---- 4 KiB read_at from the page cache ----
constexpr std::size_t file_size = 64u << 20;

std::string make_file() {
  const char* dir = std::getenv("CORIO_BENCH_DIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/corio_micro_read_at." + std::to_string(::getpid());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::vector<char> chunk(1 << 20, 'x');
  for (std::size_t done = 0; done < file_size; done += chunk.size()) {
    if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) break;
  }
  ::close(fd);
  return path;
}

corio::task<void> read_loop(benchmark::State& state, std::string path) {
  auto f = co_await corio::fs::file::open(path);
  if (!f) {
    state.SkipWithError("open failed");
    co_return;
  }
  alignas(4096) static std::array<std::byte, 4096> buf;
  std::mt19937_64 rng(7);
  const std::uint64_t blocks = file_size / 4096;
  std::vector<std::uint64_t> offsets(4096);
  for (auto& o : offsets) o = (rng() % blocks) * 4096;
  for (std::uint64_t o : offsets) (void)co_await f->read_at(buf, o);  // fault everything in
  std::size_t i = 0;
  alloc_totals a0 = alloc_now();
  for (auto _ : state) {
    auto n = co_await f->read_at(buf, offsets[i++ & 4095]);
    if (!n || *n != 4096) {
      state.SkipWithError("short read");
      break;
    }
  }
  report_allocs(state, a0);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 4096);
}

std::string read_at_path;  // made on first use, removed by main()

void read_at_4k(benchmark::State& state) {
  if (read_at_path.empty()) read_at_path = make_file();
  corio::runtime rt;
  rt.block_on(read_loop(state, read_at_path));
}
BENCHMARK(read_at_4k);

// ---- memory per idle connection ----
corio::task<void> idle_serve(net::tcp_stream s) {
  std::array<std::byte, 16 * 1024> buf;  // as in examples/echo_server
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) co_return;
    if (!co_await s.write_all(std::span(buf).first(*n))) co_return;
  }
}

corio::task<void> connections(benchmark::State& state, int n) {
  auto listener = net::tcp_listener::bind(*net::address::parse("127.0.0.1:0"));
  auto where = *listener->local_address();
  std::vector<int> clients;
  std::vector<corio::join_handle<void>> tasks;
  clients.reserve(static_cast<std::size_t>(n));
  tasks.reserve(static_cast<std::size_t>(n));
  for (auto _ : state) {
    alloc_totals a0 = alloc_now();
    for (int i = 0; i < n; ++i) {
      // Plain blocking clients: only the server side is counted.
      int c = ::socket(where.native_family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (::connect(c, where.sockaddr_ptr(), where.sockaddr_len()) != 0) {
        state.SkipWithError("connect failed");
        co_return;
      }
      clients.push_back(c);
      auto a = co_await listener->accept();
      if (!a) {
        state.SkipWithError("accept failed");
        co_return;
      }
      tasks.push_back(corio::spawn(idle_serve(std::move(a->stream))));
    }
    co_await corio::yield_now();  // every task starts and parks on its read
    alloc_totals a1 = alloc_now();
    state.counters["bytes/conn"] = static_cast<double>(a1.bytes - a0.bytes) / n;
    state.counters["allocs/conn"] = static_cast<double>(a1.count - a0.count) / n;
    for (int c : clients) ::close(c);
    for (auto& t : tasks) (void)co_await t;
    clients.clear();
    tasks.clear();
  }
}

void memory_per_connection(benchmark::State& state) {
  corio::runtime rt;
  rt.block_on(connections(state, 1000));
}
BENCHMARK(memory_per_connection)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!read_at_path.empty()) ::unlink(read_at_path.c_str());
  return 0;
}
