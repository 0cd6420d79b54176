// Path operations: rename and remove round trips, directories, stat and exists, whole-file
// read_file / write_file.
#include "fs_support.hpp"

using namespace corio_test;
using namespace corio_fs_test;
using corio::task;
namespace fs = corio::fs;

BOOST_FIXTURE_TEST_SUITE(fs_path, runtime_fixture)

BOOST_AUTO_TEST_CASE(rename_and_remove_round_trip) {
  temp_dir dir;
  auto body = [](std::string a, std::string b) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(a, "moving"));
    BOOST_REQUIRE(co_await fs::rename(a, b));
    BOOST_CHECK(!*(co_await fs::exists(a)));
    BOOST_CHECK(*(co_await fs::exists(b)));
    auto content = co_await fs::read_file(b);
    BOOST_REQUIRE(content);
    BOOST_CHECK_EQUAL(*content, "moving");
    BOOST_REQUIRE(co_await fs::rename(b, a));  // and back
    BOOST_CHECK(*(co_await fs::exists(a)));
    BOOST_CHECK(!*(co_await fs::exists(b)));

    // Renaming over an existing file replaces it.
    BOOST_REQUIRE(co_await fs::write_file(b, "old"));
    BOOST_REQUIRE(co_await fs::rename(a, b));
    auto replaced = co_await fs::read_file(b);
    BOOST_REQUIRE(replaced);
    BOOST_CHECK_EQUAL(*replaced, "moving");

    BOOST_REQUIRE(co_await fs::remove(b));
    BOOST_CHECK(!*(co_await fs::exists(b)));
    auto again = co_await fs::remove(b);
    BOOST_REQUIRE(!again);
    BOOST_CHECK(again.error() == std::errc::no_such_file_or_directory);
    auto missing = co_await fs::rename(a, b);
    BOOST_REQUIRE(!missing);
    BOOST_CHECK(missing.error() == std::errc::no_such_file_or_directory);
  };
  rt.block_on(body(dir.file("a"), dir.file("b")));
}

BOOST_AUTO_TEST_CASE(create_and_remove_directories) {
  temp_dir dir;
  auto body = [](std::string d) -> task<void> {
    BOOST_REQUIRE(co_await fs::create_dir(d, 0750));
    auto st = co_await fs::stat(d);
    BOOST_REQUIRE(st);
    BOOST_CHECK(st->is_directory());
    BOOST_REQUIRE(co_await fs::create_dir(d + "/inner"));
    BOOST_REQUIRE(co_await fs::write_file(d + "/inner/f", "x"));
    BOOST_REQUIRE(co_await fs::remove(d + "/inner/f"));
    BOOST_REQUIRE(co_await fs::remove_dir(d + "/inner"));
    BOOST_REQUIRE(co_await fs::remove_dir(d));
    BOOST_CHECK(!*(co_await fs::exists(d)));
  };
  rt.block_on(body(dir.file("d")));
}

BOOST_AUTO_TEST_CASE(stat_size_and_exists) {
  temp_dir dir;
  auto body = [](std::string path, std::string link) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(path, std::string(12345, 'z')));
    auto st = co_await fs::stat(path);
    BOOST_REQUIRE(st);
    BOOST_CHECK_EQUAL(st->size, 12345u);
    BOOST_CHECK(st->is_regular());
    BOOST_CHECK(st->modified.time_since_epoch().count() > 0);
    auto f = co_await fs::file::open(path);
    BOOST_REQUIRE(f);
    auto fst = co_await f->stat();
    BOOST_REQUIRE(fst);
    BOOST_CHECK_EQUAL(fst->inode, st->inode);  // the path and the descriptor name one file
    auto size = co_await f->size();
    BOOST_REQUIRE(size);
    BOOST_CHECK_EQUAL(*size, 12345u);

    // A symbolic link: stat follows it, symlink_stat does not.
    std::filesystem::create_symlink(path, link);
    auto followed = co_await fs::stat(link);
    BOOST_REQUIRE(followed);
    BOOST_CHECK(followed->is_regular());
    auto itself = co_await fs::symlink_stat(link);
    BOOST_REQUIRE(itself);
    BOOST_CHECK(itself->type == fs::file_type::symlink);

    // exists() says no for a path through a file (ENOTDIR), not an error.
    auto through_file = co_await fs::exists(path + "/child");
    BOOST_REQUIRE(through_file);
    BOOST_CHECK(!*through_file);
  };
  rt.block_on(body(dir.file("sized"), dir.file("link")));
}

BOOST_AUTO_TEST_CASE(read_file_and_write_file) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    auto data = random_bytes((3 << 20) + 17, 11);
    BOOST_REQUIRE(co_await fs::write_file(path, data));
    auto back = co_await fs::read_file(path);
    BOOST_REQUIRE(back);
    BOOST_REQUIRE_EQUAL(back->size(), data.size());
    BOOST_CHECK(checksum(bytes(*back)) == checksum(data));

    BOOST_REQUIRE(co_await fs::write_file(path, "short now"));  // write_file truncates
    auto shorter = co_await fs::read_file(path);
    BOOST_REQUIRE(shorter);
    BOOST_CHECK_EQUAL(*shorter, "short now");

    BOOST_REQUIRE(co_await fs::write_file(path, ""));
    auto empty = co_await fs::read_file(path);
    BOOST_REQUIRE(empty);
    BOOST_CHECK(empty->empty());

    // stat says 0 bytes for /proc files; read_file reads until end of file anyway.
    auto status = co_await fs::read_file("/proc/self/status");
    BOOST_REQUIRE(status);
    BOOST_CHECK(status->find("Name:") != std::string::npos);
  };
  rt.block_on(body(dir.file("whole")));
}

BOOST_AUTO_TEST_CASE(paths_from_filesystem_path_and_string_view) {
  temp_dir dir;
  auto body = [](std::filesystem::path p) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(p, "typed"));
    std::string s = p.string();
    auto st = co_await fs::stat(std::string_view(s));
    BOOST_REQUIRE(st);
    BOOST_CHECK_EQUAL(st->size, 5u);
    BOOST_REQUIRE(co_await fs::remove(p.c_str()));
  };
  rt.block_on(body(dir.path() / "typed"));
}

BOOST_AUTO_TEST_SUITE_END()
