// The quick-start demo: what the runtime is for, in a few seconds. Over loopback, 50 clients
// each stream 1 MiB through an echo server while reading the echo back at once (a split
// stream: a read and a write in flight together), every byte checked; a 16 MiB file is written,
// copied and compared through corio::fs; 5,000 tasks sleep on timers; a timeout cancels a
// sleep. It ends by counting this process's descriptors: every one it opened is closed.
#include <corio/corio.hpp>

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace net = corio::net;
namespace fs = corio::fs;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

std::size_t open_descriptors() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

std::byte pattern(std::size_t i, int client) { return static_cast<std::byte>((i * 131 + client * 7) & 0xff); }

corio::task<void> echo(net::tcp_stream s) {
  std::vector<std::byte> buf(64 * 1024);
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) co_return;
    if (!co_await s.write_all(std::span(buf).first(*n))) co_return;
  }
}

// One client: the write half streams `bytes` then sends FIN; the read half checks the echo.
corio::task<bool> client(net::address where, int id, std::size_t bytes) {
  auto s = co_await net::tcp_stream::connect(where);
  if (!s) co_return false;
  auto [rd, wr] = std::move(*s).split();
  auto writer = corio::spawn([](net::tcp_write_half w, int id, std::size_t bytes) -> corio::task<bool> {
    std::vector<std::byte> chunk(32 * 1024);
    for (std::size_t off = 0; off < bytes; off += chunk.size()) {
      for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = pattern(off + i, id);
      if (!co_await w.write_all(chunk)) co_return false;
    }
    co_return true;  // dropping the write half sends FIN
  }(std::move(wr), id, bytes));
  std::vector<std::byte> buf(64 * 1024);
  std::size_t got = 0;
  bool intact = true;
  for (;;) {
    auto n = co_await rd.read(buf);
    if (!n || *n == 0) break;
    for (std::size_t i = 0; i < *n; ++i) intact = intact && buf[i] == pattern(got + i, id);
    got += *n;
  }
  auto wrote = co_await writer;
  co_return intact && got == bytes && wrote && *wrote;
}

corio::task<bool> network_part() {
  auto listener = net::tcp_listener::bind(net::address::ipv4_loopback(0));
  if (!listener) co_return false;
  const auto where = *listener->local_address();
  constexpr int clients = 50;
  constexpr std::size_t bytes = 1 << 20;
  corio::task_group servers;
  auto acceptor = corio::spawn([](net::tcp_listener& l, corio::task_group& g) -> corio::task<void> {
    for (int i = 0; i < clients; ++i) {
      auto c = co_await l.accept();
      if (c) g.spawn(echo(std::move(c->stream)));
    }
  }(*listener, servers));
  const auto t0 = clock_type::now();
  std::vector<corio::join_handle<bool>> running;
  for (int i = 0; i < clients; ++i) running.push_back(corio::spawn(client(where, i, bytes)));
  int ok = 0;
  for (auto& r : running) ok += (co_await r).value_or(false) ? 1 : 0;
  const double secs = seconds_since(t0);
  (void)co_await acceptor;
  co_await servers.join();
  std::printf("network: %d/%d clients streamed 1 MiB each through an echo server and got every byte back "
              "(%.0f MiB each way, %.0f MiB/s)\n", ok, clients, clients * bytes / 1048576.0, clients * bytes / 1048576.0 / secs);
  co_return ok == clients;
}

corio::task<bool> file_part() {
  char dir_template[] = "/tmp/corio-demo-XXXXXX";
  if (!::mkdtemp(dir_template)) co_return false;
  const std::string dir = dir_template, src = dir + "/source", dst = dir + "/copy";
  std::vector<std::byte> data(16 << 20);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = pattern(i, 99);
  const auto t0 = clock_type::now();
  bool ok = bool(co_await fs::write_file(src, data));
  auto in = co_await fs::file::open(src);
  auto out = co_await fs::file::create(dst);
  ok = ok && in && out;
  std::vector<std::byte> chunk(256 * 1024);
  for (std::uint64_t off = 0; ok && off < data.size();) {
    auto n = co_await in->read_at(chunk, off);
    ok = n && *n > 0 && co_await out->write_all_at(std::span(chunk).first(*n), off);
    if (ok) off += *n;
  }
  if (in) (void)co_await in->close();
  if (out) (void)co_await out->close();
  auto copy = co_await fs::read_file(dst);
  ok = ok && copy && copy->size() == data.size() && std::memcmp(copy->data(), data.data(), data.size()) == 0;
  const double secs = seconds_since(t0);
  (void)co_await fs::remove(src);
  (void)co_await fs::remove(dst);
  (void)co_await fs::remove_dir(dir);
  std::printf("files: 16 MiB written, copied in 256 KiB reads and writes, read back and compared: %s (%.2f s)\n",
              ok ? "identical" : "MISMATCH", secs);
  co_return ok;
}

corio::task<bool> timer_part() {
  constexpr int n = 5000;
  const auto t0 = clock_type::now();
  std::vector<corio::join_handle<int>> handles;
  for (int i = 0; i < n; ++i) {
    handles.push_back(corio::spawn([](int id) -> corio::task<int> {
      co_await corio::sleep_for(std::chrono::milliseconds(id % 20));
      co_return id;
    }(i)));
  }
  long sum = 0;
  for (auto& h : handles) sum += (co_await h).value_or(0);
  auto timed = co_await corio::timeout(10ms, corio::sleep_for(1s));
  std::printf("timers: %d tasks slept 0-19 ms each (%.0f ms in all); timeout(10ms, sleep 1s): %s\n", n,
              seconds_since(t0) * 1e3, timed ? "finished?!" : timed.error().message().c_str());
  co_return sum == static_cast<long>(n) * (n - 1) / 2 && !timed;
}

corio::task<bool> run() {
  const bool a = co_await network_part();
  const bool b = co_await file_part();
  const bool c = co_await timer_part();
  co_return a && b && c;
}

}  // namespace

int main() {
  const std::size_t fds_at_start = open_descriptors();
  bool ok = false;
  {
    corio::runtime rt;
    std::printf("corio backend: %.*s (%.*s)\n", static_cast<int>(rt.backend().size()), rt.backend().data(),
                static_cast<int>(rt.backend_reason().size()), rt.backend_reason().data());
    ok = rt.block_on(run());
    const auto s = rt.stats();
    std::printf("runtime: %llu operations submitted, %llu completed, %llu tasks spawned, %llu still live\n",
                static_cast<unsigned long long>(s.ops_submitted), static_cast<unsigned long long>(s.ops_completed),
                static_cast<unsigned long long>(s.tasks_spawned), static_cast<unsigned long long>(s.tasks_live));
  }
  const std::size_t fds_at_end = open_descriptors();
  std::printf("descriptors: %zu open at start, %zu at the end: %s\n", fds_at_start, fds_at_end,
              fds_at_end == fds_at_start ? "every descriptor corio opened was closed" : "LEAK");
  return ok && fds_at_end == fds_at_start ? 0 : 1;
}
