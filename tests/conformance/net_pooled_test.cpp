// Pooled reads (buffer_pool, read_pooled): checksummed streams through pools of one and of many
// buffers, idle reads that hold no buffer, an empty pool as back-pressure and its recovery,
// cancellation with data waiting, close and shutdown with leases held, split halves, Unix
// streams, and the errors of bad pools.
#include "net_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <sys/utsname.h>
#include <thread>

using namespace corio_test;
using namespace corio_net_test;

namespace {

/// Reads `stream` through `pool` until end-of-stream; every byte, in order.
template <class Reader>
task<std::vector<std::byte>> drain_pooled(Reader& stream, corio::buffer_pool& pool) {
  std::vector<std::byte> got;
  for (;;) {
    auto b = co_await stream.read_pooled(pool);
    BOOST_REQUIRE_MESSAGE(b, "read_pooled: " << describe(b));
    if (b->empty()) break;
    BOOST_REQUIRE_LE(b->size(), pool.buffer_size());
    got.insert(got.end(), b->bytes().begin(), b->bytes().end());
  }
  co_return got;
}

/// Writes data in uneven chunks, then sends FIN.
template <class Writer>
task<void> send_all(Writer w, std::vector<std::byte> data) {
  std::size_t off = 0, chunk = 1;
  while (off < data.size()) {
    const std::size_t n = std::min(chunk, data.size() - off);
    auto r = co_await w.write_all(std::span(data).subspan(off, n));
    BOOST_REQUIRE_MESSAGE(r, "write: " << describe(r));
    off += n;
    chunk = chunk * 3 + 7;
    if (chunk > 100'000) chunk = 5;
  }
  BOOST_CHECK(co_await w.shutdown());
}

corio::buffer_pool make_pool(std::size_t count, std::size_t size) {
  auto p = corio::buffer_pool::create(count, size);
  BOOST_REQUIRE_MESSAGE(p, "buffer_pool::create: " << describe(p));
  return std::move(*p);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(net_pooled, runtime_fixture)

/// Whether this runtime's pools should be kernel-managed: io_uring (or auto on io_uring) on a
/// kernel with provided buffer rings (5.19), unless CORIO_URING_NO_BUF_RING=1 turns them off.
bool expect_kernel_managed(corio::runtime& rt) {
  if (rt.backend() != "io_uring") return false;
  if (const char* off = std::getenv("CORIO_URING_NO_BUF_RING"); off && *off == '1') return false;
  ::utsname u{};
  int major = 0, minor = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 5 || (major == 5 && minor >= 19);
}

BOOST_AUTO_TEST_CASE(checksummed_streams_through_pools_of_one_and_of_many) {
  const bool kernel_managed = expect_kernel_managed(rt);
  rt.block_on([](bool kernel_managed) -> task<void> {
    for (auto [count, size] : {std::pair<std::size_t, std::size_t>{1, 1000}, {16, 4096}, {3, 65536}}) {
      auto pool = make_pool(count, size);
      BOOST_CHECK_EQUAL(pool.kernel_managed(), kernel_managed);
      BOOST_CHECK_EQUAL(pool.count(), count);
      BOOST_CHECK_EQUAL(pool.buffer_size(), size);
      auto [client, server] = co_await tcp_pair();
      auto payload = random_bytes(1 << 20, static_cast<std::uint32_t>(count));
      auto writer = corio::spawn(send_all(std::move(client), payload));
      auto got = co_await drain_pooled(server, pool);
      BOOST_CHECK(co_await writer);
      BOOST_CHECK_EQUAL(got.size(), payload.size());
      BOOST_CHECK_EQUAL(checksum(got), checksum(payload));
      BOOST_CHECK_EQUAL(pool.available(), count);  // every lease came back
    }
  }(kernel_managed));
}

BOOST_AUTO_TEST_CASE(idle_reads_hold_no_buffer_and_an_empty_pool_only_delays) {
  rt.block_on([]() -> task<void> {
    constexpr std::size_t readers = 10;
    auto pool = make_pool(2, 512);
    std::vector<tcp_stream> clients;
    std::vector<corio::join_handle<std::string>> reads;
    for (std::size_t i = 0; i < readers; ++i) {
      auto [client, server] = co_await tcp_pair();
      clients.push_back(std::move(client));
      // Each reader keeps its lease a moment, so that the two buffers are all out at once.
      reads.push_back(corio::spawn([](tcp_stream s, corio::buffer_pool& p) -> task<std::string> {
        auto b = co_await s.read_pooled(p);
        BOOST_REQUIRE_MESSAGE(b, "read_pooled: " << describe(b));
        std::string got(text(b->bytes()));
        co_await corio::sleep_for(20ms);
        co_return got;
      }(std::move(server), pool)));
    }
    co_await corio::sleep_for(100ms);  // all ten wait for data: none holds a buffer
    BOOST_CHECK_EQUAL(pool.available(), 2u);
    for (std::size_t i = 0; i < readers; ++i) {
      auto w = co_await clients[i].write_all(bytes("message " + std::to_string(i)));
      BOOST_REQUIRE(w);
    }
    for (std::size_t i = 0; i < readers; ++i) {
      auto got = co_await reads[i];
      BOOST_REQUIRE(got);
      BOOST_CHECK_EQUAL(*got, "message " + std::to_string(i));
    }
    BOOST_CHECK_EQUAL(pool.available(), 2u);
  }());
}

BOOST_AUTO_TEST_CASE(a_read_waiting_for_a_buffer_is_cancelled_without_losing_data) {
  rt.block_on([]() -> task<void> {
    auto pool = make_pool(1, 256);
    auto [c1, s1] = co_await tcp_pair();
    auto [c2, s2] = co_await tcp_pair();
    BOOST_REQUIRE(co_await c1.write_all(bytes("first")));
    auto held = co_await s1.read_pooled(pool);  // the only buffer, kept
    BOOST_REQUIRE(held);
    BOOST_CHECK_EQUAL(text(held->bytes()), "first");
    BOOST_CHECK_EQUAL(pool.available(), 0u);

    BOOST_REQUIRE(co_await c2.write_all(bytes("second")));
    // Data waits on s2 but the pool is empty: back-pressure, not an error.
    auto waited = co_await corio::timeout(200ms, s2.read_pooled(pool));
    BOOST_REQUIRE(!waited);
    BOOST_CHECK(waited.error() == corio::errc::timed_out);
    BOOST_CHECK_EQUAL(corio::this_runtime_stats().ops_in_flight, 0u);  // the parked read was withdrawn

    // A parked read is served as soon as the lease comes back, with every byte.
    auto later = corio::spawn([](tcp_stream& s, corio::buffer_pool& p) -> task<std::string> {
      auto b = co_await s.read_pooled(p);
      BOOST_REQUIRE_MESSAGE(b, "read_pooled: " << describe(b));
      co_return std::string(text(b->bytes()));
    }(s2, pool));
    co_await corio::sleep_for(50ms);
    held->reset();
    auto got = co_await later;
    BOOST_REQUIRE(got);
    BOOST_CHECK_EQUAL(*got, "second");
    BOOST_CHECK_EQUAL(pool.available(), 1u);
  }());
}

BOOST_AUTO_TEST_CASE(a_cancelled_idle_read_loses_nothing) {
  rt.block_on([]() -> task<void> {
    auto pool = make_pool(4, 128);
    auto [client, server] = co_await tcp_pair();
    auto r = co_await corio::timeout(50ms, server.read_pooled(pool));
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error() == corio::errc::timed_out);
    BOOST_CHECK_EQUAL(pool.available(), 4u);
    BOOST_REQUIRE(co_await client.write_all(bytes("after the timeout")));
    auto b = co_await server.read_pooled(pool);
    BOOST_REQUIRE(b);
    BOOST_CHECK_EQUAL(text(b->bytes()), "after the timeout");
    BOOST_CHECK_EQUAL(pool.available(), 3u);
  }());
}

BOOST_AUTO_TEST_CASE(end_of_stream_reset_and_bad_arguments) {
  rt.block_on([]() -> task<void> {
    auto pool = make_pool(2, 64);
    {
      auto [client, server] = co_await tcp_pair();
      BOOST_REQUIRE(co_await client.shutdown());
      auto b = co_await server.read_pooled(pool);
      BOOST_REQUIRE(b);
      BOOST_CHECK(b->empty());  // end of stream: no buffer held
      BOOST_CHECK(b->data() == nullptr);
      BOOST_CHECK_EQUAL(pool.available(), 2u);
    }
    {
      auto [client, server] = co_await tcp_pair();
      BOOST_REQUIRE(client.set_linger(std::chrono::seconds(0)));  // close sends RST
      BOOST_REQUIRE(co_await client.close());
      auto b = co_await server.read_pooled(pool);
      BOOST_REQUIRE(!b);
      BOOST_CHECK(b.error() == std::errc::connection_reset);
      BOOST_CHECK_EQUAL(pool.available(), 2u);
    }
    {
      auto [client, server] = co_await tcp_pair();
      corio::buffer_pool moved = std::move(pool);
      auto b = co_await server.read_pooled(pool);  // the moved-from handle
      BOOST_REQUIRE(!b);
      BOOST_CHECK(b.error() == corio::errc::invalid_argument);
      tcp_stream gone = std::move(server);
      auto c = co_await server.read_pooled(moved);  // a moved-from stream
      BOOST_REQUIRE(!c);
      BOOST_CHECK(c.error() == corio::errc::closed_handle);
    }
    using corio::buffer_pool;
    for (auto [count, size] : {std::pair<std::size_t, std::size_t>{0, 64}, {4, 0}, {buffer_pool::max_count + 1, 64},
                               {4, buffer_pool::max_buffer_size + 1}}) {
      auto p = buffer_pool::create(count, size);
      BOOST_REQUIRE(!p);
      BOOST_CHECK(p.error() == corio::errc::invalid_argument);
    }
  }());
  auto outside = corio::buffer_pool::create(4, 64);
  BOOST_REQUIRE(!outside);
  BOOST_CHECK(outside.error() == corio::errc::no_runtime);
}

BOOST_AUTO_TEST_CASE(a_pool_serves_its_own_runtime_only) {
  std::optional<corio::buffer_pool> pool;
  rt.block_on([](std::optional<corio::buffer_pool>& out) -> task<void> {
    out.emplace(make_pool(2, 64));
    co_return;
  }(pool));
  corio::runtime other;
  other.block_on([](corio::buffer_pool& p) -> task<void> {
    auto [client, server] = co_await tcp_pair();
    BOOST_REQUIRE(co_await client.write_all(bytes("x")));
    auto b = co_await server.read_pooled(p);
    BOOST_REQUIRE(!b);
    BOOST_CHECK(b.error() == corio::errc::wrong_runtime);
  }(*pool));
}

BOOST_AUTO_TEST_CASE(leases_outlive_close_shutdown_and_the_runtime) {
  std::optional<corio::pooled_buffer> kept;
  {
    corio::runtime local;
    local.block_on([](std::optional<corio::pooled_buffer>& out) -> task<void> {
      auto pool = make_pool(1, 64);
      auto [client, server] = co_await tcp_pair();
      BOOST_REQUIRE(co_await client.write_all(bytes("kept")));
      auto b = co_await server.read_pooled(pool);
      BOOST_REQUIRE(b);
      out.emplace(std::move(*b));
      // With the only buffer leased, a read with data waiting parks on the pool; closing its
      // stream (the last owner gone) and the shutdown must withdraw it, not hang or leak.
      auto [c2, s2] = co_await tcp_pair();
      BOOST_REQUIRE(co_await c2.write_all(bytes("never read")));
      corio::spawn([](tcp_stream s, corio::buffer_pool& p) -> task<void> {
        auto r = co_await s.read_pooled(p);
        BOOST_CHECK(!r);  // cancelled by the shutdown
      }(std::move(s2), pool)).detach();
      co_await corio::sleep_for(50ms);
      BOOST_CHECK_EQUAL(pool.available(), 0u);
    }(kept));
  }  // the runtime is gone; the lease still holds its buffer and its memory
  BOOST_REQUIRE(kept);
  BOOST_CHECK_EQUAL(text(kept->bytes()), "kept");
  kept.reset();
}

BOOST_AUTO_TEST_CASE(a_stream_closed_under_a_parked_read) {
  rt.block_on([]() -> task<void> {
    auto pool = make_pool(1, 64);
    auto [c1, s1] = co_await tcp_pair();
    BOOST_REQUIRE(co_await c1.write_all(bytes("a")));
    auto held = co_await s1.read_pooled(pool);
    BOOST_REQUIRE(held);
    auto [c2, s2] = co_await tcp_pair();
    BOOST_REQUIRE(co_await c2.write_all(bytes("b")));
    auto task2 = corio::spawn([](tcp_stream s, corio::buffer_pool& p) -> task<bool> {
      auto r = co_await s.read_pooled(p);
      co_return static_cast<bool>(r);
    }(std::move(s2), pool));
    co_await corio::sleep_for(50ms);
    task2.cancel();  // its stream goes with its frame: the parked read is withdrawn first
    auto done = co_await task2;
    BOOST_CHECK(!done || !*done);
    held->reset();
    BOOST_CHECK_EQUAL(pool.available(), 1u);  // nobody was waiting any more: back to the pool
  }());
}

BOOST_AUTO_TEST_CASE(split_halves_and_unix_streams_read_pooled) {
  rt.block_on([]() -> task<void> {
    auto pool = make_pool(4, 1500);
    {
      auto [client, server] = co_await tcp_pair();
      auto [rd, wr] = std::move(server).split();
      auto payload = random_bytes(256 * 1024, 7);
      auto [crd, cwr] = std::move(client).split();
      auto writer = corio::spawn(send_all(std::move(cwr), payload));
      // The server's read half reads pooled and its write half echoes each lease back.
      auto echo = corio::spawn([](corio::read_half<tcp_stream> r, corio::write_half<tcp_stream> w,
                                  corio::buffer_pool& p) -> task<void> {
        for (;;) {
          auto b = co_await r.read_pooled(p);
          BOOST_REQUIRE_MESSAGE(b, "read_pooled: " << describe(b));
          if (b->empty()) break;
          BOOST_REQUIRE(co_await w.write_all(b->bytes()));
        }
        BOOST_CHECK(co_await w.shutdown());
      }(std::move(rd), std::move(wr), pool));
      std::vector<std::byte> back;
      std::vector<std::byte> buf(40'000);
      for (;;) {
        auto n = co_await crd.read(buf);
        BOOST_REQUIRE(n);
        if (*n == 0) break;
        back.insert(back.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
      }
      BOOST_CHECK(co_await writer);
      BOOST_CHECK(co_await echo);
      BOOST_CHECK_EQUAL(checksum(back), checksum(payload));
    }
    {
      auto pair = unix_stream::pair();
      BOOST_REQUIRE(pair);
      auto [a, b] = std::move(*pair);
      auto payload = random_bytes(200'000, 11);
      auto writer = corio::spawn(send_all(std::move(a), payload));
      auto got = co_await drain_pooled(b, pool);
      BOOST_CHECK(co_await writer);
      BOOST_CHECK_EQUAL(checksum(got), checksum(payload));
    }
    BOOST_CHECK_EQUAL(pool.available(), 4u);
  }());
}

BOOST_AUTO_TEST_SUITE_END()
