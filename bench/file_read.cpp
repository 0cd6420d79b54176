// file_read: 4 KiB random reads through corio::fs::file::read_at, QD tasks each keeping one
// read in flight, for a fixed time; the counterpart of fio's randread job in ci/bench.
//   file_read --file PATH [--qd N] [--bs B] [--duration T] [--warmup W] [--label L]
// The file must exist (ci/bench creates it and reads it once so it sits in the page cache).
// Prints one JSON object: IOPS, MiB/s, and the process's CPU time per read.
#include <corio/corio.hpp>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct shared {
  bool stop = false;
  bool counting = false;
  std::uint64_t reads = 0;
  std::uint64_t errors = 0;
};

double cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

corio::task<void> reader(corio::fs::file& f, shared& s, std::uint64_t blocks, std::size_t bs, unsigned seed) {
  std::vector<std::byte> buf(bs);
  std::minstd_rand rng(seed);
  while (!s.stop) {
    auto n = co_await f.read_at(buf, (rng() % blocks) * bs);
    if (!n || *n != bs) ++s.errors;
    if (s.counting) ++s.reads;
  }
}

corio::task<int> run(std::string path, int qd, std::size_t bs, double warmup, double duration, std::string label) {
  auto f = co_await corio::fs::file::open(path);
  if (!f) {
    std::fprintf(stderr, "file_read: open %s: %s\n", path.c_str(), f.error().message().c_str());
    co_return 1;
  }
  struct stat st {};
  ::stat(path.c_str(), &st);
  const std::uint64_t blocks = static_cast<std::uint64_t>(st.st_size) / bs;
  if (blocks == 0) {
    std::fprintf(stderr, "file_read: %s is smaller than one block\n", path.c_str());
    co_return 1;
  }
  shared s;
  std::vector<corio::join_handle<void>> workers;
  for (int i = 0; i < qd; ++i) workers.push_back(corio::spawn(reader(*f, s, blocks, bs, 1234u + static_cast<unsigned>(i))));
  co_await corio::sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(warmup)));
  s.counting = true;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_s();
  co_await corio::sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(duration)));
  s.counting = false;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_s() - c0;
  s.stop = true;
  for (auto& w : workers) (void)co_await w;
  const double iops = static_cast<double>(s.reads) / secs;
  std::printf("{\"label\":\"%s\",\"qd\":%d,\"bs\":%zu,\"seconds\":%.3f,\"reads\":%" PRIu64 ",\"iops\":%.0f,"
              "\"mib_per_s\":%.1f,\"cpu_us_per_read\":%.3f,\"errors\":%" PRIu64 "}\n",
              label.c_str(), qd, bs, secs, s.reads, iops, iops * static_cast<double>(bs) / (1 << 20),
              s.reads ? cpu * 1e6 / static_cast<double>(s.reads) : 0.0, s.errors);
  co_return s.errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, label = "corio";
  int qd = 1;
  std::size_t bs = 4096;
  double duration = 3, warmup = 0.5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool v = i + 1 < argc;
    if (a == "--file" && v) path = argv[++i];
    else if (a == "--qd" && v) qd = std::atoi(argv[++i]);
    else if (a == "--bs" && v) bs = static_cast<std::size_t>(std::atol(argv[++i]));
    else if (a == "--duration" && v) duration = std::atof(argv[++i]);
    else if (a == "--warmup" && v) warmup = std::atof(argv[++i]);
    else if (a == "--label" && v) label = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s --file PATH [--qd N] [--bs B] [--duration T] [--warmup W] [--label L]\n", argv[0]);
      return 2;
    }
  }
  if (path.empty() || qd <= 0 || bs == 0) {
    std::fprintf(stderr, "file_read: --file is required; --qd and --bs must be positive\n");
    return 2;
  }
  corio::runtime_options ro;
  ro.queue_entries = static_cast<unsigned>(std::max(256, qd * 2));
  corio::runtime rt(ro);
  return rt.block_on(run(path, qd, bs, warmup, duration, label));
}
