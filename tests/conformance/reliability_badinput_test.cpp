// Bad input through the public API, as a table: malformed addresses, zero-length and huge
// buffers, operations on moved-from and closed handles, offsets past the end, a handle used on
// the wrong runtime or after its runtime, block_on re-entered... Each case must give one clear
// error (a corio::errc or an errno), never a crash, a hang or a leak; the suite runs under
// ASan+UBSan in CI, so undefined behaviour on any of these paths fails there.
#include "net_support.hpp"

#include <corio/fs/path_ops.hpp>

#include <climits>
#include <csignal>
#include <functional>
#include <sys/mman.h>
#include <sys/uio.h>
#include <thread>
#include <unistd.h>

using namespace corio_test;
using namespace corio_net_test;
namespace fs = corio::fs;
using corio::errc;
using corio::errno_code;

namespace {

/// What a case ended with: its error, or {} for success (with `value` for cases that check one).
struct outcome {
  std::error_code error;
  long long value = -1;
};

template <class R>
outcome of(const R& r) {
  if (!r) return {r.error()};
  using T = typename R::value_type;
  if constexpr (std::is_convertible_v<T, long long>) {
    return {{}, static_cast<long long>(*r)};
  } else {
    return {};
  }
}

struct bad_case {
  std::string name;
  std::error_code expected;  ///< {} when the call must succeed (then `value` is checked if >= 0)
  long long value;
  std::function<task<outcome>(const temp_dir&)> run;
};

std::error_code ok() { return {}; }
std::error_code e(errc c) { return make_error_code(c); }
std::error_code sys(int err) { return errno_code(err); }

// By value: the coroutine runs after the caller's temporary is gone.
task<outcome> parse(std::string text) { co_return of(address::parse(text)); }

/// A mapping of `size` bytes of address space, reading as zeros, with no memory behind it until
/// touched: lets a test pass a real (not pretend) 4 GiB buffer.
struct huge_buffer {
  explicit huge_buffer(std::size_t n) : size(n) {
    ptr = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    BOOST_REQUIRE(ptr != MAP_FAILED);
  }
  ~huge_buffer() { ::munmap(ptr, size); }
  std::span<std::byte> span() const { return {static_cast<std::byte*>(ptr), size}; }
  void* ptr;
  std::size_t size;
};

const std::size_t four_gib = std::size_t{1} << 32;

std::vector<bad_case> cases() {
  std::vector<bad_case> t;
  auto add = [&](std::string name, std::error_code expected, std::function<task<outcome>(const temp_dir&)> run,
                 long long value = -1) { t.push_back({std::move(name), expected, value, std::move(run)}); };

  // ---- addresses (no system call, no runtime needed) ----
  for (const char* text : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "256.1.1.1:80",
                           "1.2.3:80", "::1:80", "[::1]", "[::1]:99999", "[::1:80", "localhost:80", " 127.0.0.1:80",
                           "127.0.0.1:80 ", "127.0.0.1:0x50", "[fe80::1%]:80", "@"}) {
    add("parse \"" + std::string(text) + "\"", e(errc::invalid_argument),
        [text](const temp_dir&) { return parse(text); });
  }
  add("parse an embedded NUL", e(errc::invalid_argument),
      [](const temp_dir&) { return parse(std::string("/tmp/a\0b", 8)); });
  add("parse a 200-byte Unix path", e(errc::invalid_argument),
      [](const temp_dir&) { return parse("/" + std::string(200, 'p')); });
  add("parse a 200-byte abstract name", e(errc::invalid_argument),
      [](const temp_dir&) { return parse("@" + std::string(200, 'a')); });
  add("unix_path(\"\")", e(errc::invalid_argument),
      [](const temp_dir&) -> task<outcome> { co_return of(address::unix_path("")); });
  add("from_sockaddr(null, 0)", e(errc::invalid_argument),
      [](const temp_dir&) -> task<outcome> { co_return of(address::from_sockaddr(nullptr, 0)); });
  add("from_sockaddr AF_INET too short", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    ::sockaddr_storage ss{};
    ss.ss_family = AF_INET;
    co_return of(address::from_sockaddr(reinterpret_cast<::sockaddr*>(&ss), 4));
  });
  add("from_sockaddr AF_PACKET", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    ::sockaddr_storage ss{};
    ss.ss_family = AF_PACKET;
    co_return of(address::from_sockaddr(reinterpret_cast<::sockaddr*>(&ss), sizeof(ss)));
  });

  // ---- sockets: wrong families and options ----
  add("tcp bind to a Unix address", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    co_return of(tcp_listener::bind(*address::parse("/tmp/corio-x.sock")));
  });
  add("tcp connect to an empty address", e(errc::invalid_argument),
      [](const temp_dir&) -> task<outcome> { co_return of(co_await tcp_stream::connect(address{})); });
  add("tcp connect to a Unix address", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    co_return of(co_await tcp_stream::connect(*address::parse("@corio-nowhere")));
  });
  add("unix connect to an IP address", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    co_return of(co_await unix_stream::connect(address::ipv4_loopback(1)));
  });
  add("unix bind to an IP address", e(errc::invalid_argument),
      [](const temp_dir&) -> task<outcome> { co_return of(unix_listener::bind(address::ipv4_loopback(0))); });
  add("listen backlog -1", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    co_return of(tcp_listener::bind(address::ipv4_loopback(0), {.backlog = -1}));
  });
  add("udp send_to a Unix address", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    auto u = udp_socket::bind(address::ipv4_loopback(0));
    BOOST_REQUIRE(u);
    co_return of(co_await u->send_to(bytes("x"), *address::parse("@corio-x")));
  });
  add("udp datagram over 64 KiB", sys(EMSGSIZE), [](const temp_dir&) -> task<outcome> {
    auto u = udp_socket::bind(address::ipv4_loopback(0));
    BOOST_REQUIRE(u);
    std::vector<std::byte> big(70'000);
    co_return of(co_await u->send_to(big, *u->local_address()));
  });
  add("keepalive idle 0 s", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    co_return of(c.set_keepalive(0s, 1s, 3));
  });
  add("keepalive count 0", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    co_return of(c.set_keepalive(1s, 1s, 0));
  });
  add("linger -1 s", e(errc::invalid_argument), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    co_return of(c.set_linger(std::chrono::seconds(-1)));
  });
  add("signal 0", e(errc::invalid_argument),
      [](const temp_dir&) -> task<outcome> { co_return of(corio::signal_set::create({0})); });
  add("signal 65", e(errc::invalid_argument),
      [](const temp_dir&) -> task<outcome> { co_return of(corio::signal_set::create({SIGINT, 65})); });

  // ---- moved-from, empty and closed handles ----
  add("read on a moved-from stream", e(errc::closed_handle), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    auto moved = std::move(c);
    std::array<std::byte, 8> buf;
    co_return of(co_await c.read(buf));  // NOLINT(bugprone-use-after-move): the point of the case
  });
  add("write on a default stream", e(errc::closed_handle), [](const temp_dir&) -> task<outcome> {
    tcp_stream s;
    co_return of(co_await s.write(bytes("x")));
  });
  add("write_all on a default stream", e(errc::closed_handle),
      [](const temp_dir&) -> task<outcome> { co_return of(co_await tcp_stream{}.write_all(bytes("x"))); });
  add("accept on a default listener", e(errc::closed_handle),
      [](const temp_dir&) -> task<outcome> { co_return of(co_await tcp_listener{}.accept()); });
  add("close twice", e(errc::closed_handle), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    BOOST_CHECK(co_await c.close());
    co_return of(co_await c.close());
  });
  add("shutdown on a closed stream", e(errc::closed_handle), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    BOOST_CHECK(co_await c.close());
    co_return of(co_await c.shutdown());
  });
  add("closed() on a moved-from half", e(errc::closed_handle), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    auto [rd, wr] = std::move(c).split();
    auto other = std::move(rd);
    co_return of(co_await rd.closed());
  });
  add("reunite halves of two streams", e(errc::mismatched_halves), [](const temp_dir&) -> task<outcome> {
    auto [a, a2] = co_await tcp_pair();
    auto [b, b2] = co_await tcp_pair();
    auto [ard, awr] = std::move(a).split();
    auto [brd, bwr] = std::move(b).split();
    auto r = corio::net::reunite(std::move(ard), std::move(bwr));
    if (r) co_return outcome{};
    BOOST_CHECK(r.error().read.valid() && r.error().write.valid());  // handed back untouched
    co_return outcome{r.error().error};
  });
  add("read on a default file", e(errc::closed_handle), [](const temp_dir&) -> task<outcome> {
    fs::file f;
    std::array<std::byte, 8> buf;
    co_return of(co_await f.read_at(buf, 0));
  });
  add("fsync on a closed file", e(errc::closed_handle), [](const temp_dir& d) -> task<outcome> {
    auto f = co_await fs::file::create(d.file("closed"));
    BOOST_REQUIRE(f);
    BOOST_CHECK(co_await f->close());
    co_return of(co_await f->fsync());
  });

  // ---- buffers: zero-length and huge ----
  add("zero-length write", ok(), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    co_return of(co_await c.write({}));
  }, 0);
  add("zero-length write_all", ok(),
      [](const temp_dir&) -> task<outcome> {
        auto [c, s] = co_await tcp_pair();
        co_return of(co_await c.write_all({}));
      });
  add("zero-length read with nothing waiting", ok(), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    co_return of(co_await corio::timeout(2s, s.read({})));  // completes at once, never waits for data
  }, 0);
  add("readv with no buffers", ok(), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    BOOST_REQUIRE(co_await c.write_all(bytes("x")));
    co_return of(co_await corio::timeout(2s, s.readv({})));
  }, 0);
  add("zero-length file read_at", ok(), [](const temp_dir& d) -> task<outcome> {
    auto f = co_await fs::file::open(d.file("z"), fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    co_return of(co_await f->read_at({}, 0));
  }, 0);
  // 4 GiB does not fit io_uring's 32-bit length: the request must still be a read of what is
  // there, never a zero-length read (which would look like end-of-stream).
  add("4 GiB read buffer with 5 bytes waiting", ok(), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    BOOST_REQUIRE(co_await c.write_all(bytes("hello")));
    huge_buffer buf(four_gib);
    co_return of(co_await corio::timeout(5s, s.read(buf.span())));
  }, 5);
  add("4 GiB + 3 read buffer with 5 bytes waiting", ok(), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    BOOST_REQUIRE(co_await c.write_all(bytes("hello")));
    huge_buffer buf(four_gib + 3);
    co_return of(co_await corio::timeout(5s, s.read(buf.span())));
  }, 5);
  add("4 GiB write: a short write, not zero", ok(), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    huge_buffer buf(four_gib);
    auto n = co_await corio::timeout(5s, c.write(buf.span()));
    if (n && *n == 0) co_return outcome{{}, 0};  // zero progress: write_all would spin
    co_return outcome{n ? std::error_code{} : n.error(), n ? 1 : -1};
  }, 1);
  add("4 GiB file read_at of a 10-byte file", ok(), [](const temp_dir& d) -> task<outcome> {
    auto f = co_await fs::file::open(d.file("ten"), fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    BOOST_REQUIRE(co_await f->write_all_at(bytes("0123456789"), 0));
    huge_buffer buf(four_gib);
    co_return of(co_await f->read_at(buf.span(), 0));
  }, 10);

  // ---- files: offsets, modes, paths ----
  add("read_at far past the end", ok(), [](const temp_dir& d) -> task<outcome> {
    auto f = co_await fs::file::open(d.file("p"), fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    std::array<std::byte, 8> buf;
    co_return of(co_await f->read_at(buf, std::uint64_t{1} << 40));
  }, 0);
  add("read_at offset UINT64_MAX", e(errc::invalid_argument), [](const temp_dir& d) -> task<outcome> {
    auto f = co_await fs::file::open(d.file("p"), fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    std::array<std::byte, 8> buf;
    co_return of(co_await f->read_at(buf, UINT64_MAX));
  });
  add("write_at offset INT64_MAX + 1", e(errc::invalid_argument), [](const temp_dir& d) -> task<outcome> {
    auto f = co_await fs::file::create(d.file("w"));
    BOOST_REQUIRE(f);
    co_return of(co_await f->write_at(bytes("x"), std::uint64_t{INT64_MAX} + 1));
  });
  add("readv_at with IOV_MAX + 1 buffers", e(errc::invalid_argument), [](const temp_dir& d) -> task<outcome> {
    auto f = co_await fs::file::open(d.file("v"), fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    std::array<std::byte, 1> one;
    std::vector<::iovec> iov(IOV_MAX + 1, ::iovec{one.data(), 1});
    co_return of(co_await f->readv_at(iov, 0));
  });
  add("read from a write-only file", sys(EBADF), [](const temp_dir& d) -> task<outcome> {
    auto f = co_await fs::file::create(d.file("wo"));
    BOOST_REQUIRE(f);
    std::array<std::byte, 8> buf;
    co_return of(co_await f->read_at(buf, 0));
  });
  add("write to a read-only file", sys(EBADF), [](const temp_dir& d) -> task<outcome> {
    BOOST_REQUIRE(co_await fs::write_file(d.file("ro"), std::string_view("data")));
    auto f = co_await fs::file::open(d.file("ro"));
    BOOST_REQUIRE(f);
    co_return of(co_await f->write_at(bytes("x"), 0));
  });
  add("open with no access mode", e(errc::invalid_argument), [](const temp_dir& d) -> task<outcome> {
    co_return of(co_await fs::file::open(d.file("n"), fs::open_options()));
  });
  add("open truncate without write", e(errc::invalid_argument), [](const temp_dir& d) -> task<outcome> {
    co_return of(co_await fs::file::open(d.file("n"), fs::open_options().read().truncate()));
  });
  add("open with permissions 010000", e(errc::invalid_argument), [](const temp_dir& d) -> task<outcome> {
    co_return of(co_await fs::file::open(d.file("n"), fs::open_options().write().create().permissions(010000)));
  });
  add("open a path with an embedded NUL", e(errc::invalid_argument), [](const temp_dir& d) -> task<outcome> {
    co_return of(co_await fs::file::open(std::string(d.file("a")) + std::string(1, '\0') + "b"));
  });
  add("open \"\"", sys(ENOENT), [](const temp_dir&) -> task<outcome> { co_return of(co_await fs::file::open("")); });
  add("open a missing file", sys(ENOENT),
      [](const temp_dir& d) -> task<outcome> { co_return of(co_await fs::file::open(d.file("missing"))); });
  add("open a directory for writing", sys(EISDIR), [](const temp_dir& d) -> task<outcome> {
    co_return of(co_await fs::file::open(d.path().string(), fs::open_options().write()));
  });
  add("remove a missing file", sys(ENOENT),
      [](const temp_dir& d) -> task<outcome> { co_return of(co_await fs::remove(d.file("missing"))); });

  // ---- peers ----
  add("read_exact past the peer's end", e(errc::end_of_stream), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    BOOST_REQUIRE(co_await c.write_all(bytes("12345")));
    BOOST_REQUIRE(co_await c.shutdown());
    std::array<std::byte, 10> buf;
    co_return of(co_await s.read_exact(buf));
  });
  add("write to a reset peer (no SIGPIPE)", sys(ECONNRESET), [](const temp_dir&) -> task<outcome> {
    auto [c, s] = co_await tcp_pair();
    BOOST_REQUIRE(c.set_linger(0s));
    BOOST_REQUIRE(co_await c.close());  // RST
    co_await corio::sleep_for(20ms);
    auto r = co_await s.write(bytes("into the void"));
    if (!r && r.error() == std::errc::broken_pipe) co_return outcome{sys(ECONNRESET)};  // either: no signal
    co_return of(r);
  });
  return t;
}

/// The case name and the error in a printable form.
std::string show(const std::error_code& ec) {
  if (!ec) return "success";
  return std::string(ec.category().name()) + ":" + std::to_string(ec.value()) + " (" + ec.message() + ")";
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(reliability_bad_input, runtime_fixture)

BOOST_AUTO_TEST_CASE(table_of_bad_input_each_a_clear_error) {
  auto table = cases();
  BOOST_TEST_MESSAGE(table.size() << " bad-input cases");
  BOOST_CHECK_GE(table.size(), 30u);
  temp_dir dir;
  for (auto& c : table) {
    BOOST_TEST_CONTEXT("case: " << c.name) {
      auto fds = open_fd_count();
      outcome got = rt.block_on(c.run(dir));
      BOOST_CHECK_MESSAGE(got.error == c.expected, c.name << ": expected " << show(c.expected) << ", got " << show(got.error));
      if (!c.expected && c.value >= 0) BOOST_CHECK_EQUAL(got.value, c.value);
      // Let asynchronous closes finish, then nothing may be left behind.
      rt.block_on([]() -> task<void> { co_await corio::sleep_for(1ms); }());
      BOOST_CHECK_MESSAGE(open_fd_count() == fds, c.name << ": descriptors leaked");
    }
  }
}

BOOST_AUTO_TEST_CASE(block_on_re_entered_is_nested_block_on) {
  std::error_code got;
  rt.block_on([](corio::runtime& rt, std::error_code& got) -> task<void> {
    try {
      rt.block_on([]() -> task<void> { co_return; }());
    } catch (const std::system_error& e) {
      got = e.code();
    }
    co_return;
  }(rt, got));
  BOOST_CHECK_MESSAGE(got == errc::nested_block_on, show(got));
  // A second runtime, driven from inside the first, is refused the same way.
  corio::runtime other;
  std::error_code got2;
  rt.block_on([](corio::runtime& other, std::error_code& got) -> task<void> {
    try {
      other.block_on([]() -> task<void> { co_return; }());
    } catch (const std::system_error& e) {
      got = e.code();
    }
    co_return;
  }(other, got2));
  BOOST_CHECK_MESSAGE(got2 == errc::nested_block_on, show(got2));
}

BOOST_AUTO_TEST_CASE(spawn_outside_a_runtime_is_no_runtime) {
  std::error_code got;
  try {
    auto h = corio::spawn([]() -> task<void> { co_return; }());
  } catch (const std::system_error& e) {
    got = e.code();
  }
  BOOST_CHECK_MESSAGE(got == errc::no_runtime, show(got));
}

BOOST_AUTO_TEST_CASE(handle_used_on_another_runtime_is_wrong_runtime) {
  // A stream made on this runtime, used from a task of a runtime on another thread.
  auto pair = rt.block_on([]() -> task<std::pair<tcp_stream, tcp_stream>> { co_return co_await tcp_pair(); }());
  std::error_code read_error, write_error;
  std::thread other([&] {
    corio::runtime rt2;
    rt2.block_on([](tcp_stream& s, std::error_code& re, std::error_code& we) -> task<void> {
      std::array<std::byte, 8> buf;
      auto r = co_await s.read(buf);
      if (!r) re = r.error();
      auto w = co_await s.write(bytes("x"));
      if (!w) we = w.error();
    }(pair.first, read_error, write_error));
  });
  other.join();
  BOOST_CHECK_MESSAGE(read_error == errc::wrong_runtime, show(read_error));
  BOOST_CHECK_MESSAGE(write_error == errc::wrong_runtime, show(write_error));
}

BOOST_AUTO_TEST_CASE(block_on_from_a_second_thread_while_running_is_refused) {
  std::error_code got;
  rt.block_on([](corio::runtime& rt, std::error_code& got) -> task<void> {
    // Another thread tries to drive this runtime while this thread runs it.
    std::thread t([&] {
      try {
        rt.block_on([]() -> task<void> { co_return; }());
      } catch (const std::system_error& e) {
        got = e.code();
      }
    });
    t.join();
    co_return;
  }(rt, got));
  BOOST_CHECK_MESSAGE(got == errc::wrong_runtime, show(got));
}

BOOST_AUTO_TEST_CASE(handle_outliving_its_runtime_is_runtime_gone) {
  std::optional<tcp_stream> kept;
  {
    corio::runtime r1;
    auto p = r1.block_on([]() -> task<std::pair<tcp_stream, tcp_stream>> { co_return co_await tcp_pair(); }());
    kept = std::move(p.first);
  }
  std::error_code got;
  rt.block_on([](tcp_stream& s, std::error_code& got) -> task<void> {
    std::array<std::byte, 8> buf;
    auto r = co_await s.read(buf);
    if (!r) got = r.error();
  }(*kept, got));
  BOOST_CHECK_MESSAGE(got == errc::runtime_gone, show(got));
  kept.reset();  // closes synchronously, without the dead runtime
}

BOOST_AUTO_TEST_SUITE_END()
