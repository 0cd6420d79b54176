// Many operations in flight on one file: 64 MiB written at shuffled offsets and read back,
// 256 concurrent read_at, timeouts around file operations, and tasks cancelled while their
// reads and opens are in flight (no descriptor left, no write into a released buffer).
#include "fs_support.hpp"

#include <algorithm>
#include <numeric>

using namespace corio_test;
using namespace corio_fs_test;
using corio::task;
namespace fs = corio::fs;

namespace {

constexpr std::size_t big_block = 64u << 10;
std::size_t fds_before = 0;  // cancelled_opens: descriptors open before the opens start

/// `workers` tasks sharing one queue of block indexes, each doing fn(index) in turn.
template <class Fn>
task<void> run_workers(std::size_t workers, const std::vector<std::size_t>& order, Fn fn) {
  std::size_t next = 0;
  std::vector<corio::join_handle<void>> hs;
  for (std::size_t w = 0; w < workers; ++w) {
    hs.push_back(corio::spawn([](const std::vector<std::size_t>& order, std::size_t& next, Fn fn) -> task<void> {
      while (next < order.size()) co_await fn(order[next++]);
    }(order, next, fn)));
  }
  for (auto& h : hs) BOOST_CHECK(co_await h);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(fs_concurrency, runtime_fixture)

BOOST_AUTO_TEST_CASE(sixty_four_mib_at_shuffled_offsets) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    constexpr std::size_t total = 64u << 20, blocks = total / big_block;
    const auto data = random_bytes(total, 64);
    std::vector<std::size_t> order(blocks);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937(1));

    auto f = co_await fs::file::open(path, fs::open_options().read().write().create().truncate());
    BOOST_REQUIRE(f);
    fs::file* file = &*f;
    co_await run_workers(16, order, [file, &data](std::size_t i) -> task<void> {
      auto w = co_await file->write_all_at(std::span(data).subspan(i * big_block, big_block), i * big_block);
      BOOST_REQUIRE(w);
    });
    auto size = co_await f->size();
    BOOST_REQUIRE(size);
    BOOST_CHECK_EQUAL(*size, total);

    std::vector<std::byte> back(total);
    std::shuffle(order.begin(), order.end(), std::mt19937(2));
    co_await run_workers(16, order, [file, &back](std::size_t i) -> task<void> {
      auto r = co_await file->read_at(std::span(back).subspan(i * big_block, big_block), i * big_block);
      BOOST_REQUIRE(r);
      BOOST_REQUIRE_EQUAL(*r, big_block);  // a regular file, fully written: no short read
    });
    BOOST_CHECK_EQUAL(checksum(back), checksum(data));
    BOOST_CHECK(back == data);
    BOOST_CHECK(co_await f->close());
  };
  rt.block_on(body(dir.file("big")));
}

BOOST_AUTO_TEST_CASE(two_hundred_fifty_six_concurrent_read_at) {
  temp_dir dir;
  auto body = [](std::string path, corio::runtime& rt) -> task<void> {
    constexpr std::size_t n = 256, chunk = 4096;
    const auto data = random_bytes(n * chunk, 256);
    BOOST_REQUIRE(co_await fs::write_file(path, data));
    auto f = co_await fs::file::open(path);
    BOOST_REQUIRE(f);
    std::vector<std::vector<std::byte>> bufs(n, std::vector<std::byte>(chunk));
    std::vector<corio::join_handle<std::size_t>> hs;
    // All 256 are started before any is awaited, so all are submitted together.
    for (std::size_t i = 0; i < n; ++i) {
      hs.push_back(corio::spawn([](fs::file& f, std::span<std::byte> buf, std::uint64_t off) -> task<std::size_t> {
        auto r = co_await f.read_at(buf, off);
        co_return r ? *r : 0;
      }(*f, bufs[i], (n - 1 - i) * chunk)));
    }
    co_await corio::yield_now();
    BOOST_TEST_MESSAGE("in flight after one turn: " << rt.stats().ops_in_flight);
    for (std::size_t i = 0; i < n; ++i) {
      auto got = co_await hs[i];
      BOOST_REQUIRE(got);
      BOOST_CHECK_EQUAL(*got, chunk);
      const std::size_t at = (n - 1 - i) * chunk;
      BOOST_CHECK(std::equal(bufs[i].begin(), bufs[i].end(), data.begin() + static_cast<std::ptrdiff_t>(at)));
    }
  };
  rt.block_on(body(dir.file("many"), rt));
}

BOOST_AUTO_TEST_CASE(timeout_around_file_operations) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(path, "in time"));
    auto f = co_await fs::file::open(path);
    BOOST_REQUIRE(f);
    std::string buf(7, '\0');
    // A timeout long enough not to fire returns the operation's own value.
    auto r = co_await corio::timeout(5s, f->read_at(wbytes(buf), 0));
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(*r, 7u);
    BOOST_CHECK_EQUAL(buf, "in time");
    auto st = co_await corio::timeout(5s, fs::stat(path));
    BOOST_REQUIRE(st);
    BOOST_CHECK_EQUAL(st->size, 7u);
    auto whole = co_await corio::timeout(5s, fs::read_file(path));
    BOOST_REQUIRE(whole);
    BOOST_CHECK_EQUAL(*whole, "in time");
    auto opened = co_await corio::timeout(5s, fs::file::open(path));
    BOOST_REQUIRE(opened);

    // A timeout that expires at once: either the operation's value (it completed anyway: data
    // wins) or timed_out; never a leak or a crash.
    for (int i = 0; i < 50; ++i) {
      auto quick = co_await corio::timeout(0ns, f->read_at(wbytes(buf), 0));
      BOOST_CHECK(quick ? *quick == 7u : quick.error() == corio::errc::timed_out);
      auto quick_open = co_await corio::timeout(0ns, fs::file::open(path));
      BOOST_CHECK(quick_open || quick_open.error() == corio::errc::timed_out);
    }
  };
  rt.block_on(body(dir.file("t")));
}

BOOST_AUTO_TEST_CASE(task_cancelled_with_32_reads_in_flight) {
  temp_dir dir;
  auto body = [](std::string path, corio::runtime& rt) -> task<void> {
    constexpr std::size_t readers = 32, chunk = 1u << 20;
    BOOST_REQUIRE(co_await fs::write_file(path, random_bytes(readers * chunk, 32)));
    int started = 0;
    // The parent owns the file and 32 readers, each with its own 1 MiB buffer in its frame.
    auto parent = corio::spawn([](std::string path, int& started) -> task<void> {
      auto f = co_await fs::file::open(path);
      BOOST_REQUIRE(f);
      corio::task_group group;  // destroyed with the parent's frame: cancels the readers
      for (std::size_t i = 0; i < readers; ++i) {
        group.spawn([](fs::file f, std::uint64_t off, int& started) -> task<void> {
          std::vector<std::byte> buf(chunk);
          ++started;
          for (;;) {  // keep reading until cancelled
            auto r = co_await f.read_at(buf, off);
            if (!r) co_return;
          }
        }(f->share(), i * chunk, started));
      }
      co_await group.join();
    }(path, started));
    BOOST_REQUIRE(co_await eventually([&] { return started == static_cast<int>(readers); }));
    // A timer that fires after a wait for I/O is queued behind the readers that wait completed,
    // so this task then runs once they have started their next reads: those are in flight.
    for (int i = 0; i < 1000 && rt.stats().ops_in_flight < readers; ++i) co_await corio::sleep_for(1ms);
    const auto in_flight = rt.stats().ops_in_flight;
    BOOST_TEST_MESSAGE("reads in flight at cancel: " << in_flight);
    BOOST_CHECK_GT(in_flight, 0u);
    parent.cancel();
    auto r = co_await parent;
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error() == std::errc::operation_canceled);
    // Every reader lets go of its buffer, its frame is destroyed, the last owner closes the file.
    BOOST_CHECK(co_await eventually([&] { return rt.stats().tasks_live == 0; }));
    BOOST_CHECK(co_await eventually([&] { return rt.stats().closes_pending == 0 && rt.stats().fds_owned == 0; }));
  };
  rt.block_on(body(dir.file("cancel"), rt));
}

BOOST_AUTO_TEST_CASE(cancelled_opens_leave_no_descriptor) {
  temp_dir dir;
  auto body = [](std::string path, corio::runtime& rt) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(path, "x"));
    // Cancelled after 0..5 turns: before the opens start, while they are queued or running in a
    // pool, just as they complete, and once the files are open.
    for (int turns = 0; turns <= 5; ++turns) {
      std::vector<corio::join_handle<void>> hs;
      for (int i = 0; i < 64; ++i) {
        hs.push_back(corio::spawn([](std::string path) -> task<void> {
          auto f = co_await fs::file::open(path);
          co_await corio::sleep_for(1h);  // only a cancel ends this
        }(path)));
      }
      for (int t = 0; t < turns; ++t) co_await corio::yield_now();
      for (auto& h : hs) h.cancel();
      for (auto& h : hs) {
        auto r = co_await h;
        BOOST_CHECK(!r);
      }
      BOOST_CHECK(co_await eventually([&] { return rt.stats().fds_owned == 0 && rt.stats().closes_pending == 0; }));
      BOOST_CHECK_MESSAGE(open_fd_count() == fds_before, "descriptors left after cancelling at turn " << turns << ": "
                                                          << open_fd_count() - fds_before);
    }
  };
  fds_before = open_fd_count();
  rt.block_on(body(dir.file("o"), rt));
}

BOOST_AUTO_TEST_SUITE_END()
