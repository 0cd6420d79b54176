// Errors: the kernel's (ENOENT, EEXIST, EISDIR, EACCES or EBADF, ENOTEMPTY) reach the caller as
// system error codes; bad arguments are refused with errc::invalid_argument, never a crash.
#include "fs_support.hpp"

#include <climits>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

using namespace corio_test;
using namespace corio_fs_test;
using corio::task;
namespace fs = corio::fs;

BOOST_FIXTURE_TEST_SUITE(fs_errors, runtime_fixture)

BOOST_AUTO_TEST_CASE(missing_file_is_enoent) {
  temp_dir dir;
  auto body = [](std::string missing, std::string in_missing_dir) -> task<void> {
    auto f = co_await fs::file::open(missing);
    BOOST_REQUIRE(!f);
    BOOST_CHECK(f.error() == std::errc::no_such_file_or_directory);
    auto g = co_await fs::file::open(in_missing_dir, fs::open_options().write().create());
    BOOST_REQUIRE(!g);
    BOOST_CHECK(g.error() == std::errc::no_such_file_or_directory);
    auto st = co_await fs::stat(missing);
    BOOST_REQUIRE(!st);
    BOOST_CHECK(st.error() == std::errc::no_such_file_or_directory);
    auto rm = co_await fs::remove(missing);
    BOOST_REQUIRE(!rm);
    BOOST_CHECK(rm.error() == std::errc::no_such_file_or_directory);
    auto ex = co_await fs::exists(missing);
    BOOST_REQUIRE(ex);
    BOOST_CHECK(!*ex);
    auto rd = co_await fs::read_file(missing);
    BOOST_REQUIRE(!rd);
    BOOST_CHECK(rd.error() == std::errc::no_such_file_or_directory);
  };
  rt.block_on(body(dir.file("missing"), dir.file("no/such/dir")));
}

BOOST_AUTO_TEST_CASE(exclusive_create_of_existing_file_is_eexist) {
  temp_dir dir;
  auto body = [](std::string path, std::string dirpath) -> task<void> {
    auto first = co_await fs::file::open(path, fs::open_options().write().exclusive());
    BOOST_REQUIRE(first);
    auto second = co_await fs::file::open(path, fs::open_options().write().exclusive());
    BOOST_REQUIRE(!second);
    BOOST_CHECK(second.error() == std::errc::file_exists);
    auto mk = co_await fs::create_dir(dirpath);
    BOOST_REQUIRE(!mk);
    BOOST_CHECK(mk.error() == std::errc::file_exists);
  };
  rt.block_on(body(dir.file("x"), dir.path().string()));
}

BOOST_AUTO_TEST_CASE(directory_is_eisdir) {
  temp_dir dir;
  auto body = [](std::string d) -> task<void> {
    auto w = co_await fs::file::open(d, fs::open_options().write());
    BOOST_REQUIRE(!w);
    BOOST_CHECK(w.error() == std::errc::is_a_directory);
    auto rm = co_await fs::remove(d);
    BOOST_REQUIRE(!rm);
    BOOST_CHECK(rm.error() == std::errc::is_a_directory);
    auto rd = co_await fs::read_file(d);  // open(O_RDONLY) works on a directory; read() does not
    BOOST_REQUIRE(!rd);
    BOOST_CHECK(rd.error() == std::errc::is_a_directory);
  };
  rt.block_on(body(dir.path().string()));
}

BOOST_AUTO_TEST_CASE(unreadable_file_is_eacces_or_read_only_handle_is_ebadf) {
  temp_dir dir;
  auto path = dir.file("locked");
  auto body = [](std::string path, bool root) -> task<void> {
    BOOST_REQUIRE(co_await fs::write_file(path, "secret", 0600));
    if (!root) {
      BOOST_REQUIRE_EQUAL(::chmod(path.c_str(), 0), 0);
      auto f = co_await fs::file::open(path);
      BOOST_REQUIRE(!f);
      BOOST_CHECK(f.error() == std::errc::permission_denied);
    }
    // A write on a handle opened read-only, and a read on one opened write-only: EBADF.
    auto ro = co_await fs::file::open(path);
    if (root) BOOST_REQUIRE(ro);
    if (ro) {
      auto w = co_await ro->write_at(bytes("x"), 0);
      BOOST_REQUIRE(!w);
      BOOST_CHECK(w.error() == std::errc::bad_file_descriptor);
    }
    auto wo = co_await fs::file::open(path, fs::open_options().write());
    if (root) BOOST_REQUIRE(wo);
    if (wo) {
      std::string buf(4, '\0');
      auto r = co_await wo->read_at(wbytes(buf), 0);
      BOOST_REQUIRE(!r);
      BOOST_CHECK(r.error() == std::errc::bad_file_descriptor);
    }
  };
  const bool root = ::geteuid() == 0;
  if (root) {
    skip(rt, "EACCES part: running as root, which bypasses permission bits (chmod 000 stays readable); "
             "checking EBADF on a write to a read-only handle instead");
  }
  rt.block_on(body(path, root));
}

BOOST_AUTO_TEST_CASE(non_empty_directory_is_enotempty) {
  temp_dir dir;
  auto body = [](std::string d) -> task<void> {
    BOOST_REQUIRE(co_await fs::create_dir(d));
    BOOST_REQUIRE(co_await fs::write_file(d + "/f", "x"));
    auto rm = co_await fs::remove_dir(d);
    BOOST_REQUIRE(!rm);
    BOOST_CHECK(rm.error() == std::errc::directory_not_empty);
    auto rm_file_as_dir = co_await fs::remove_dir(d + "/f");
    BOOST_REQUIRE(!rm_file_as_dir);
    BOOST_CHECK(rm_file_as_dir.error() == std::errc::not_a_directory);
  };
  rt.block_on(body(dir.file("d")));
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_invalid_argument) {
  temp_dir dir;
  auto body = [](std::string path) -> task<void> {
    auto is_invalid = [](const auto& r) { return !r && r.error() == corio::errc::invalid_argument; };
    // Option combinations that mean nothing: refused before any system call.
    BOOST_CHECK(is_invalid(co_await fs::file::open(path, fs::open_options())));
    BOOST_CHECK(is_invalid(co_await fs::file::open(path, fs::open_options().create())));
    BOOST_CHECK(is_invalid(co_await fs::file::open(path, fs::open_options().read().truncate())));
    BOOST_CHECK(is_invalid(co_await fs::file::open(path, fs::open_options().append().truncate())));
    BOOST_CHECK(is_invalid(co_await fs::file::open(path, fs::open_options().read().exclusive())));
    BOOST_CHECK(is_invalid(co_await fs::file::open(path, fs::open_options().write().create().permissions(010000))));
    auto exists = co_await fs::exists(path);
    BOOST_REQUIRE(exists);
    BOOST_CHECK(!*exists);  // nothing was created by the refused opens

    // A path with a NUL byte cannot name a file.
    std::string nul_path = path + std::string("\0x", 2);
    BOOST_CHECK(is_invalid(co_await fs::file::open(nul_path, fs::open_options().write().create())));
    BOOST_CHECK(is_invalid(co_await fs::stat(nul_path)));
    BOOST_CHECK(is_invalid(co_await fs::remove(nul_path)));
    BOOST_CHECK(is_invalid(co_await fs::rename(nul_path, path)));
    BOOST_CHECK(is_invalid(co_await fs::create_dir(nul_path)));
    BOOST_CHECK(is_invalid(co_await fs::create_dir(path, 070000)));

    // Offsets a file cannot have.
    auto f = co_await fs::file::open(path, fs::open_options().read().write().create());
    BOOST_REQUIRE(f);
    std::string buf(4, '\0');
    BOOST_CHECK(is_invalid(co_await f->read_at(wbytes(buf), ~std::uint64_t{0})));
    BOOST_CHECK(is_invalid(co_await f->write_at(bytes("x"), std::uint64_t{1} << 63)));
    f->seek(~std::uint64_t{0});
    BOOST_CHECK(is_invalid(co_await f->read(wbytes(buf))));
    std::vector<::iovec> too_many(IOV_MAX + 1, ::iovec{buf.data(), 1});
    BOOST_CHECK(is_invalid(co_await f->readv_at(too_many, 0)));
  };
  rt.block_on(body(dir.file("never")));
}

BOOST_AUTO_TEST_SUITE_END()
