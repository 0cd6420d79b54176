// The copy_file example, run as a user would: a few MiB copied with reads in flight, verified by
// the tool and again here; its self-test mode; and a clear failure for a missing source.
#include "fs_support.hpp"

#include <cstdlib>
#include <fstream>
#include <sys/wait.h>

using namespace corio_test;
using namespace corio_fs_test;

namespace {

const std::string copy_file_exe = CORIO_EXAMPLES_DIR "/copy_file";

int run(const std::string& args) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(copy_file_exe),
                        "the copy_file example is not built (target copy_file): " << copy_file_exe);
  std::string cmd = copy_file_exe + " " + args;
  BOOST_TEST_MESSAGE("running: " << cmd);
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<char> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(fs_copy_example, runtime_fixture)

BOOST_AUTO_TEST_CASE(copies_a_few_mib_and_verifies) {
  temp_dir dir;
  auto src = dir.file("src"), dst = dir.file("dst");
  auto data = random_bytes((5 << 20) + 4321, 5);  // not a multiple of the block size
  {
    std::ofstream out(src, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  }
  BOOST_CHECK_EQUAL(run(src + " " + dst + " --depth 8 --block 65536"), 0);
  BOOST_CHECK(slurp(src) == slurp(dst));
  // Copying over an existing, longer destination truncates it; default depth, small blocks.
  {
    std::ofstream out(dst, std::ios::binary);
    out << std::string(9 << 20, 'j');
  }
  BOOST_CHECK_EQUAL(run(src + " " + dst + " --block 4096"), 0);
  BOOST_CHECK(slurp(src) == slurp(dst));
}

BOOST_AUTO_TEST_CASE(empty_file_is_copied) {
  temp_dir dir;
  { std::ofstream out(dir.file("empty")); }
  BOOST_CHECK_EQUAL(run(dir.file("empty") + " " + dir.file("copy")), 0);
  BOOST_CHECK_EQUAL(std::filesystem::file_size(dir.file("copy")), 0u);
}

BOOST_AUTO_TEST_CASE(self_test_mode) { BOOST_CHECK_EQUAL(run(""), 0); }

BOOST_AUTO_TEST_CASE(missing_source_and_bad_arguments_fail) {
  temp_dir dir;
  BOOST_CHECK_NE(run(dir.file("missing") + " " + dir.file("dst") + " 2>/dev/null"), 0);
  BOOST_CHECK(!std::filesystem::exists(dir.file("dst")));
  BOOST_CHECK_NE(run(dir.file("a") + " " + dir.file("b") + " --depth 0 2>/dev/null"), 0);
  BOOST_CHECK_NE(run(dir.file("a") + " " + dir.file("b") + " --block nope 2>/dev/null"), 0);
}

BOOST_AUTO_TEST_SUITE_END()
