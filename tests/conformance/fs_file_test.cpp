// Files: open options, positional and vectored I/O, the cursor, append mode, short reads at the
// end of a file, a sparse file past 4 GiB, fsync, stat, share and close.
#include "fs_support.hpp"

#include <sys/stat.h>

using namespace corio_test;
using namespace corio_fs_test;
using corio::task;
namespace fs = corio::fs;

BOOST_FIXTURE_TEST_SUITE(fs_file, runtime_fixture)

BOOST_AUTO_TEST_CASE(write_then_read_at) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    auto f = co_await fs::file::open(path, fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    BOOST_CHECK(f->is_open());
    auto w = co_await f->write_at(bytes("hello, corio"), 0);
    BOOST_REQUIRE(w);
    BOOST_CHECK_EQUAL(*w, 12u);
    std::string buf(5, '\0');
    auto r = co_await f->read_at(wbytes(buf), 7);
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(*r, 5u);
    BOOST_CHECK_EQUAL(buf, "corio");
    BOOST_CHECK(co_await f->close());
  };
  rt.block_on(body(dir.file("a")));
}

BOOST_AUTO_TEST_CASE(short_reads_at_end_of_file) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(path, std::string(100, 'x')));
    auto f = co_await fs::file::open(path);
    BOOST_REQUIRE(f);
    std::string buf(4096, '\0');
    auto all = co_await f->read_at(wbytes(buf), 0);
    BOOST_REQUIRE(all);
    BOOST_CHECK_EQUAL(*all, 100u);  // short: the file ends
    auto tail = co_await f->read_at(wbytes(buf), 90);
    BOOST_REQUIRE(tail);
    BOOST_CHECK_EQUAL(*tail, 10u);
    auto at_end = co_await f->read_at(wbytes(buf), 100);
    BOOST_REQUIRE(at_end);
    BOOST_CHECK_EQUAL(*at_end, 0u);
    auto past_end = co_await f->read_at(wbytes(buf), std::uint64_t{1} << 40);
    BOOST_REQUIRE(past_end);
    BOOST_CHECK_EQUAL(*past_end, 0u);
    auto empty = co_await f->read_at(std::span<std::byte>(), 0);
    BOOST_REQUIRE(empty);
    BOOST_CHECK_EQUAL(*empty, 0u);
  };
  rt.block_on(body(dir.file("short")));
}

BOOST_AUTO_TEST_CASE(sparse_file_past_4_gib) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    constexpr std::uint64_t gib = std::uint64_t{1} << 30;
    auto f = co_await fs::file::open(path, fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    // Straddle the 4 GiB line (a 32-bit offset anywhere would wrap) and write well past it.
    auto straddle = random_bytes(8192, 4);
    BOOST_REQUIRE(co_await f->write_all_at(straddle, 4 * gib - 4096));
    BOOST_REQUIRE(co_await f->write_all_at(bytes("corio"), 5 * gib));
    auto size = co_await f->size();
    BOOST_REQUIRE(size);
    BOOST_CHECK_EQUAL(*size, 5 * gib + 5);

    std::vector<std::byte> back(8192);
    auto r = co_await f->read_at(back, 4 * gib - 4096);
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(*r, 8192u);
    BOOST_CHECK(back == straddle);
    std::string tail(16, '?');
    auto t = co_await f->read_at(wbytes(tail), 5 * gib);
    BOOST_REQUIRE(t);
    BOOST_CHECK_EQUAL(text(std::as_bytes(std::span(tail)), *t), "corio");
    std::vector<std::byte> hole(4096, std::byte{0xff});
    auto h = co_await f->read_at(hole, 4 * gib + gib / 2);  // inside the hole: zeros
    BOOST_REQUIRE(h);
    BOOST_CHECK_EQUAL(*h, 4096u);
    BOOST_CHECK(std::all_of(hole.begin(), hole.end(), [](std::byte b) { return b == std::byte{0}; }));
    auto st = co_await f->stat();
    BOOST_REQUIRE(st);
    BOOST_CHECK(st->is_regular());
    BOOST_CHECK_LT(st->blocks * 512, gib);  // really sparse, not 5 GiB of zeros on disk
  };
  rt.block_on(body(dir.file("sparse")));
}

BOOST_AUTO_TEST_CASE(readv_and_writev_at) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    auto f = co_await fs::file::open(path, fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    std::string a = "scatter ", b = "gather";
    ::iovec out[] = {{a.data(), a.size()}, {b.data(), b.size()}};
    auto w = co_await f->writev_at(out, 10);
    BOOST_REQUIRE(w);
    BOOST_CHECK_EQUAL(*w, 14u);
    std::string x(4, '\0'), y(10, '\0');
    ::iovec in[] = {{x.data(), x.size()}, {y.data(), y.size()}};
    auto r = co_await f->readv_at(in, 10);
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(*r, 14u);
    BOOST_CHECK_EQUAL(x + y, "scatter gather");
    auto size = co_await f->size();
    BOOST_REQUIRE(size);
    BOOST_CHECK_EQUAL(*size, 24u);
  };
  rt.block_on(body(dir.file("v")));
}

BOOST_AUTO_TEST_CASE(cursor_read_and_write) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    auto f = co_await fs::file::open(path, fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    BOOST_CHECK_EQUAL(f->position(), 0u);
    BOOST_REQUIRE(co_await f->write(bytes("one ")));
    BOOST_REQUIRE(co_await f->write(bytes("two ")));
    BOOST_CHECK_EQUAL(f->position(), 8u);
    BOOST_REQUIRE(co_await f->write(bytes("three")));
    BOOST_CHECK_EQUAL(f->position(), 13u);

    f->seek(4);
    std::string buf(3, '\0');
    auto r = co_await f->read(wbytes(buf));
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(buf, "two");
    BOOST_CHECK_EQUAL(f->position(), 7u);
    std::string rest(64, '\0');
    auto r2 = co_await f->read(wbytes(rest));
    BOOST_REQUIRE(r2);
    BOOST_CHECK_EQUAL(*r2, 6u);  // " three": short at the end
    BOOST_CHECK_EQUAL(f->position(), 13u);
    auto r3 = co_await f->read(wbytes(rest));
    BOOST_REQUIRE(r3);
    BOOST_CHECK_EQUAL(*r3, 0u);

    // The cursor belongs to the handle: a shared handle starts where this one is, then moves alone.
    auto g = f->share();
    BOOST_CHECK_EQUAL(g.position(), 13u);
    g.seek(0);
    BOOST_CHECK_EQUAL(f->position(), 13u);
    auto r4 = co_await g.read(wbytes(buf));
    BOOST_REQUIRE(r4);
    BOOST_CHECK_EQUAL(buf, "one");
    BOOST_CHECK_EQUAL(g.position(), 3u);
    BOOST_CHECK_EQUAL(f->position(), 13u);
  };
  rt.block_on(body(dir.file("cursor")));
}

BOOST_AUTO_TEST_CASE(append_mode_writes_at_the_end) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(path, "start;"));
    auto f = co_await fs::file::open(path, fs::open_options().append());
    BOOST_REQUIRE(f);
    BOOST_REQUIRE(co_await f->write(bytes("one;")));
    BOOST_CHECK_EQUAL(f->position(), 0u);  // appends do not move the cursor
    BOOST_REQUIRE(co_await f->write_at(bytes("two;"), 0));  // the offset is ignored
    BOOST_REQUIRE(co_await f->write_all_at(bytes("three"), 1));
    BOOST_REQUIRE(co_await f->close());
    auto content = co_await fs::read_file(path);
    BOOST_REQUIRE(content);
    BOOST_CHECK_EQUAL(*content, "start;one;two;three");

    // Reading an append handle opened with read() as well.
    auto g = co_await fs::file::open(path, fs::open_options().read().append());
    BOOST_REQUIRE(g);
    std::string buf(6, '\0');
    auto r = co_await g->read(wbytes(buf));
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(buf, "start;");
  };
  rt.block_on(body(dir.file("log")));
}

BOOST_AUTO_TEST_CASE(truncate_create_and_permissions) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(path, "a long first content"));
    auto f = co_await fs::file::open(path, fs::open_options().write().truncate());
    BOOST_REQUIRE(f);
    auto size = co_await f->size();
    BOOST_REQUIRE(size);
    BOOST_CHECK_EQUAL(*size, 0u);
    f = fs::file();  // dropping the last owner closes asynchronously

    std::string created = path + ".new";
    auto old_mask = ::umask(022);
    auto g = co_await fs::file::open(created, fs::open_options().write().create().permissions(0640));
    ::umask(old_mask);
    BOOST_REQUIRE(g);
    auto st = co_await g->stat();
    BOOST_REQUIRE(st);
    BOOST_CHECK_EQUAL(st->permissions, 0640u);
    BOOST_CHECK(st->is_regular());
    BOOST_CHECK_EQUAL(st->links, 1u);

    auto h = co_await fs::file::create(created);  // create() truncates an existing file
    BOOST_REQUIRE(h);
    BOOST_REQUIRE(co_await h->write_at(bytes("x"), 0));
    BOOST_CHECK(co_await h->fsync());
    BOOST_CHECK(co_await h->fdatasync());
  };
  rt.block_on(body(dir.file("t")));
}

BOOST_AUTO_TEST_CASE(close_waits_for_the_other_owners) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(path, "shared"));
    auto f = co_await fs::file::open(path);
    BOOST_REQUIRE(f);
    auto g = f->share();
    bool closed = false;
    auto closer = corio::spawn([](fs::file f, bool& closed) -> task<void> {
      auto r = co_await f.close();
      BOOST_CHECK(r);
      closed = true;
    }(std::move(*f), closed));
    co_await corio::sleep_for(20ms);
    BOOST_CHECK(!closed);  // g still owns the descriptor
    std::string buf(6, '\0');
    auto r = co_await g.read_at(wbytes(buf), 0);
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(buf, "shared");
    g = fs::file();  // the last owner goes: the close happens, the closer resumes
    BOOST_CHECK(co_await closer);
    BOOST_CHECK(closed);
  };
  rt.block_on(body(dir.file("s")));
}

BOOST_AUTO_TEST_CASE(operations_on_closed_or_empty_handles) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    fs::file empty;
    std::string buf(4, '\0');
    auto r = co_await empty.read_at(wbytes(buf), 0);
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error() == corio::errc::closed_handle);
    BOOST_CHECK(!(co_await empty.read(wbytes(buf))));
    BOOST_CHECK(!(co_await empty.stat()));
    BOOST_CHECK(!(co_await empty.fsync()));
    BOOST_CHECK(!(co_await empty.write_all_at(bytes("x"), 0)));
    BOOST_CHECK(!empty.share().is_open());
    auto c = co_await empty.close();
    BOOST_REQUIRE(!c);
    BOOST_CHECK(c.error() == corio::errc::closed_handle);

    auto f = co_await fs::file::create(path);
    BOOST_REQUIRE(f);
    BOOST_REQUIRE(co_await f->close());
    BOOST_CHECK(!f->is_open());
    auto w = co_await f->write_at(bytes("late"), 0);
    BOOST_REQUIRE(!w);
    BOOST_CHECK(w.error() == corio::errc::closed_handle);
    auto c2 = co_await f->close();
    BOOST_CHECK(!c2);
  };
  rt.block_on(body(dir.file("c")));
}

BOOST_AUTO_TEST_SUITE_END()
