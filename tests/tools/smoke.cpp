// corio_smoke: a small program that touches every part of a runtime once — construction, a TCP
// round trip, a file written and read back, timers, spawn, a timeout that cancels a read, and a
// clean shutdown — then prints "ok BACKEND". Run under valgrind by ci/reliability, and by the
// reliability tests under a seccomp filter that refuses io_uring.
//
// Everything goes to stdout (the tests read it). Exit status: 0 ok, 3 the runtime could not be
// created (the message is printed as "refused: ..."), 1 a check failed.
#include <corio/corio.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>
#include <unistd.h>

namespace net = corio::net;
namespace fs = corio::fs;
using namespace std::chrono_literals;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

corio::task<void> run() {
  // TCP: connect, accept, 64 KiB each way through an echo task.
  auto listener = net::tcp_listener::bind(net::address::ipv4_loopback(0));
  check(listener.has_value(), "bind");
  if (!listener) co_return;
  auto client = co_await net::tcp_stream::connect(*listener->local_address());
  check(client.has_value(), "connect");
  auto accepted = co_await listener->accept();
  check(accepted.has_value(), "accept");
  if (!client || !accepted) co_return;
  auto echo = corio::spawn([](net::tcp_stream s) -> corio::task<std::size_t> {
    std::array<std::byte, 4096> buf;
    std::size_t total = 0;
    for (;;) {
      auto n = co_await s.read(buf);
      if (!n || *n == 0) co_return total;
      total += *n;
      if (!co_await s.write_all(std::span(buf).first(*n))) co_return total;
    }
  }(std::move(accepted->stream)));
  std::string payload(64 * 1024, 'x');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  auto [rd, wr] = std::move(*client).split();
  auto writer = corio::spawn([](corio::net::tcp_write_half w, const std::string& p) -> corio::task<bool> {
    auto r = co_await w.write_all(std::as_bytes(std::span(p.data(), p.size())));
    co_return r.has_value();
  }(std::move(wr), payload));  // dropping the write half at its end sends FIN
  std::string got;
  std::array<std::byte, 3000> buf;
  for (;;) {
    auto n = co_await rd.read(buf);
    if (!n || *n == 0) break;
    got.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  check((co_await writer).value_or(false), "write_all");
  check((co_await echo).value_or(0) == payload.size(), "echo byte count");
  check(got == payload, "echoed bytes");

  // A read that nothing will satisfy, cut by a timeout: cancelled and awaited.
  auto pair = net::unix_stream::pair();
  check(pair.has_value(), "unix pair");
  if (pair) {
    std::array<std::byte, 16> small;
    auto r = co_await corio::timeout(20ms, pair->first.read(small));
    check(!r && r.error() == corio::errc::timed_out, "timeout of a pending read");
  }

  // A file: write, fsync, read back, remove.
  std::string path = "/tmp/corio-smoke-" + std::to_string(::getpid());
  {
    auto f = co_await fs::file::open(path, fs::open_options().read().write().create().truncate());
    check(f.has_value(), "file create");
    if (f) {
      check((co_await f->write_all_at(std::as_bytes(std::span(payload.data(), payload.size())), 0)).has_value(),
            "file write");
      check((co_await f->fsync()).has_value(), "fsync");
      std::string back(payload.size(), '\0');
      auto n = co_await f->read_at(std::as_writable_bytes(std::span(back.data(), back.size())), 0);
      if (!n) std::printf("read_at: %s\n", n.error().message().c_str());
      if (n && *n != payload.size()) std::printf("read_at gave %zu of %zu bytes\n", *n, payload.size());
      check(n && *n == payload.size() && back == payload, "file read back");
      check((co_await f->close()).has_value(), "file close");
    }
    check((co_await fs::remove(path)).has_value(), "remove");
  }

  // Timers and tasks.
  std::vector<corio::join_handle<int>> tasks;
  for (int i = 0; i < 200; ++i) {
    tasks.push_back(corio::spawn([](int i) -> corio::task<int> {
      co_await corio::sleep_for(std::chrono::milliseconds(i % 7));
      co_return i;
    }(i)));
  }
  long sum = 0;
  for (auto& t : tasks) sum += (co_await t).value_or(-100000);
  check(sum == 199 * 200 / 2, "timers and tasks");
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    corio::runtime rt;
    std::string backend(rt.backend());
    rt.block_on(run());
    check(rt.shutdown(5s), "shutdown");
    auto s = rt.stats();
    check(s.ops_in_flight == 0 && s.closes_pending == 0 && s.fds_owned == 0, "nothing left in flight");
    if (failures) return 1;
    std::printf("ok %s\n", backend.c_str());
    return 0;
  } catch (const std::system_error& e) {
    std::printf("refused: %s\n", e.what());
    return 3;
  }
}
