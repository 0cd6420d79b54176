// Fuzzes sequences of API calls on this build's driver: the input is decoded into operations on
// a TCP pair (write, read, split, reunite, shutdown, close, drop, a read spawned and cancelled),
// a file (open, write_at, read_at, close, drop), each I/O under a 0-3 ms timeout, and finally
// the runtime dropped with whatever is still in flight. Checked on every input:
//   - the bytes read from the pair are exactly a prefix of the bytes written (nothing lost,
//     duplicated or reordered, whatever was cancelled; a write that timed out sent nothing);
//   - file reads return what was written there;
//   - after the runtime is gone, the process has exactly the descriptors it had before.
// ASan and UBSan are on; any report or abort() is a finding.
#include <corio/corio.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace net = corio::net;
namespace fs = corio::fs;
using namespace std::chrono_literals;

namespace {

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

void fail(const char* what) {
  std::fprintf(stderr, "corio_fuzz_api: %s\n", what);
  std::abort();
}

/// Reads the input as a stream of small numbers.
struct input {
  const std::uint8_t* p;
  std::size_t n;
  bool empty() const { return n == 0; }
  unsigned byte() {
    if (!n) return 0;
    --n;
    return *p++;
  }
  unsigned up_to(unsigned max) { return max ? byte() % (max + 1) : 0; }
};

struct state {
  std::optional<net::tcp_stream> a, b;      // a writes, b reads
  std::optional<net::tcp_read_half> rd;     // halves of a
  std::optional<net::tcp_write_half> wr;
  std::optional<fs::file> f;
  std::string path;
  std::vector<std::uint8_t> file_shadow;    // what the file holds (bytes written so far)
  std::uint64_t written = 0, read = 0;      // stream bytes; byte k of the stream is (k * 7 + 3) & 0xff
  bool a_write_shut = false;
};

std::byte stream_byte(std::uint64_t k) { return static_cast<std::byte>((k * 7 + 3) & 0xff); }

corio::task<void> do_write(state& s, input& in) {
  if (s.a_write_shut) co_return;
  std::vector<std::byte> buf(in.up_to(255) * 64 + in.up_to(63));
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = stream_byte(s.written + i);
  auto limit = std::chrono::microseconds(in.up_to(30) * 100);
  corio::result<std::size_t> r;
  if (s.wr) r = co_await corio::timeout(limit, s.wr->write(buf));
  else if (s.a) r = co_await corio::timeout(limit, s.a->write(buf));
  else co_return;
  if (r) {
    if (*r > buf.size()) fail("write reported more than it was given");
    s.written += *r;
  } else if (r.error() != corio::errc::timed_out && r.error() != std::errc::broken_pipe &&
             r.error() != std::errc::connection_reset && r.error() != corio::errc::closed_handle) {
    std::fprintf(stderr, "write: %s\n", r.error().message().c_str());
    fail("unexpected write error");
  }
}

corio::task<void> do_read(state& s, input& in) {
  if (!s.b) co_return;
  std::vector<std::byte> buf(in.up_to(255) * 32);
  auto limit = std::chrono::microseconds(in.up_to(30) * 100);
  auto r = co_await corio::timeout(limit, s.b->read(buf));
  if (!r) {
    if (r.error() != corio::errc::timed_out && r.error() != std::errc::connection_reset) {
      std::fprintf(stderr, "read: %s\n", r.error().message().c_str());
      fail("unexpected read error");
    }
    co_return;
  }
  if (*r > buf.size()) fail("read reported more than the buffer");
  for (std::size_t i = 0; i < *r; ++i) {
    if (buf[i] != stream_byte(s.read + i)) fail("stream bytes lost, duplicated or reordered");
  }
  s.read += *r;
  if (s.read > s.written) fail("read more than was written");
}

corio::task<void> run(input in, const std::string& dir) {
  state s;
  s.path = dir + "/f";
  auto listener = net::tcp_listener::bind(net::address::ipv4_loopback(0));
  if (!listener) fail("bind");
  for (int steps = 0; !in.empty() && steps < 48; ++steps) {
    switch (in.byte() % 16) {
      case 0:  // a fresh pair (the old one is dropped)
      case 1: {
        s.rd.reset();
        s.wr.reset();
        auto c = co_await net::tcp_stream::connect(*listener->local_address());
        auto acc = co_await listener->accept();
        if (!c || !acc) fail("connect/accept on loopback");
        s.a = std::move(*c);
        s.b = std::move(acc->stream);
        s.written = s.read = 0;
        s.a_write_shut = false;
        break;
      }
      case 2:
      case 3:
      case 4:
        co_await do_write(s, in);
        break;
      case 5:
      case 6:
      case 7:
        co_await do_read(s, in);
        break;
      case 8:  // split a into halves
        if (s.a && !s.rd) {
          auto [r, w] = std::move(*s.a).split();
          s.a.reset();
          s.rd = std::move(r);
          s.wr = std::move(w);
        }
        break;
      case 9:  // reunite
        if (s.rd && s.wr) {
          auto whole = net::reunite(std::move(*s.rd), std::move(*s.wr));
          if (!whole) fail("reunite of matching halves");
          s.rd.reset();
          s.wr.reset();
          s.a = std::move(*whole);
        }
        break;
      case 10:  // a read on the write side's stream, spawned, then cancelled (nothing ever comes)
        if (s.a) {
          auto h = corio::spawn([](net::tcp_stream& a) -> corio::task<std::size_t> {
            std::array<std::byte, 64> buf;
            auto r = co_await a.read(buf);
            co_return r ? *r : 0;
          }(*s.a));
          if (in.byte() & 1) co_await corio::yield_now();
          h.cancel();
          auto r = co_await h;
          if (r && *r != 0) fail("a read of a silent peer returned data");
        }
        break;
      case 11:  // shutdown(write) or close of the writer side
        if (s.a && (in.byte() & 1)) {
          // After the peer has gone (it dropped its end: a reset), ENOTCONN is the answer.
          auto r = co_await s.a->shutdown();
          if (!r && r.error() != std::errc::not_connected) fail("shutdown");
          s.a_write_shut = true;
        } else if (s.a) {
          auto r = co_await s.a->close();
          if (!r && r.error() != std::errc::connection_reset) fail("close");
          s.a.reset();
        } else {
          s.wr.reset();  // dropping the write half sends FIN
          s.a_write_shut = true;
        }
        break;
      case 12:  // drop the reader side
        s.b.reset();
        break;
      case 13: {  // open the file (or reopen)
        auto f = co_await fs::file::open(s.path, fs::open_options().read().write().create().truncate());
        if (!f) fail("open");
        s.f = std::move(*f);
        s.file_shadow.clear();
        break;
      }
      case 14:  // write_at then read_at
        if (s.f) {
          std::size_t off = in.up_to(255) * 16, len = in.up_to(255);
          std::vector<std::byte> data(len);
          for (std::size_t i = 0; i < len; ++i) data[i] = static_cast<std::byte>(in.byte());
          auto w = co_await s.f->write_all_at(data, off);
          if (!w) fail("write_all_at");
          if (len && s.file_shadow.size() < off + len) s.file_shadow.resize(off + len);  // empty writes do not extend
          for (std::size_t i = 0; i < len; ++i) s.file_shadow[off + i] = static_cast<std::uint8_t>(data[i]);
          std::vector<std::byte> back(s.file_shadow.size() + 8);
          auto r = co_await s.f->read_at(back, 0);
          if (!r || *r != s.file_shadow.size()) fail("read_at size");
          for (std::size_t i = 0; i < *r; ++i) {
            if (static_cast<std::uint8_t>(back[i]) != s.file_shadow[i]) fail("file content");
          }
        }
        break;
      case 15:  // leave things in flight and end: the runtime is dropped with them
        if (s.b) {
          corio::spawn([](net::tcp_stream b) -> corio::task<void> {
            std::array<std::byte, 64> buf;
            for (;;) {
              auto r = co_await b.read(buf);
              if (!r || *r == 0) co_return;
            }
          }(std::move(*s.b))).detach();
          s.b.reset();
        }
        if (s.f) {
          corio::spawn([](fs::file f) -> corio::task<void> { co_await f.fsync(); }(std::move(*s.f))).detach();
          s.f.reset();
        }
        co_return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static char tmpl[] = "/tmp/corio-fuzz-XXXXXX";  // static: the exit handler outlives everything
  static const std::string dir = [] {
    if (!::mkdtemp(tmpl)) fail("mkdtemp");
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(tmpl, ec);
    });
    return std::string(tmpl);
  }();
  const std::size_t fds_before = open_fds();
  {
    corio::runtime rt;
    rt.block_on(run(input{data, size}, dir));
  }  // dropped with whatever is still in flight
  if (open_fds() != fds_before) fail("descriptor leaked after the runtime was dropped");
  return 0;
}
