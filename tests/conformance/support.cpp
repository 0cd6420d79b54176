#include "support.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <unistd.h>

namespace corio_test {

std::size_t open_fd_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n - 1;  // the iterator's own descriptor
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));  // the name may contain spaces
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

rlim_t limit_leaving(pid_t pid, int room) {
  std::set<int> open;
  for (auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    open.insert(std::stoi(e.path().filename().string()));
  }
  int n = 0;
  for (int free_seen = 0;; ++n) {
    if (!open.count(n) && ++free_seen == room) break;
  }
  return static_cast<rlim_t>(n + 1);
}

temp_dir::temp_dir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("corio-test-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void clean_shutdown_check::expect_clean(corio::runtime& rt) const {
  auto s = rt.stats();
  BOOST_CHECK_EQUAL(s.ops_in_flight, 0u);
  BOOST_CHECK_EQUAL(s.closes_pending, 0u);
  BOOST_CHECK_EQUAL(s.tasks_live, 0u);
}

void clean_shutdown_check::expect_no_fd_leak() const { BOOST_CHECK_EQUAL(open_fd_count(), fds_at_start_); }

void skip(corio::runtime& rt, const std::string& reason) {
  std::cout << "SKIP [" << rt.backend() << "] "
            << boost::unit_test::framework::current_test_case().p_name.get() << ": " << reason << "\n";
}
void skip(const std::string& reason) {
  corio::runtime rt;
  skip(rt, reason);
}

runtime_fixture::~runtime_fixture() {
  BOOST_CHECK(rt.shutdown(std::chrono::seconds(5)));
  check.expect_clean(rt);
  owned.reset();
  check.expect_no_fd_leak();
}

}  // namespace corio_test
