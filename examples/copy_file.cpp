// copy_file: copies a file with N reads in flight, verifies the copy, prints the throughput.
//
//   copy_file SRC DST [--depth N] [--block BYTES]   (BYTES may end in K or M)
//   copy_file                                       self-test: copies a temporary file
//
// Each of N worker tasks claims the next block, reads it at its offset and writes it at the same
// offset of DST, so up to N reads (or writes) are in flight on the two files at once. The copy is
// then verified by hashing both files block by block (with the same N in flight).
#include <corio/corio.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace fs = corio::fs;
using corio::result;
using corio::task;

namespace {

struct copy_options {
  std::size_t depth = 32;
  std::size_t block = 256 << 10;
};

/// What the workers share: the next block to claim and the first error seen.
struct job {
  std::uint64_t size = 0;
  std::uint64_t next = 0;
  std::error_code error;
};

/// Reads [off, off + want) fully unless the file ends first; returns the bytes read.
task<result<std::size_t>> read_block(fs::file& f, std::span<std::byte> buf, std::uint64_t off) {
  std::size_t got = 0;
  while (got < buf.size()) {
    auto n = co_await f.read_at(buf.subspan(got), off + got);
    if (!n) co_return tl::unexpected(n.error());
    if (*n == 0) break;  // the source ended early (it shrank while we copied)
    got += *n;
  }
  co_return got;
}

task<void> copy_worker(fs::file& src, fs::file& dst, job& j, std::size_t block) {
  std::vector<std::byte> buf(block);
  while (!j.error && j.next < j.size) {
    const std::uint64_t off = j.next;
    j.next += block;
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(block, j.size - off));
    auto n = co_await read_block(src, std::span(buf).first(want), off);
    if (!n) {
      j.error = n.error();
      co_return;
    }
    if (auto w = co_await dst.write_all_at(std::span(buf).first(*n), off); !w) {
      j.error = w.error();
      co_return;
    }
  }
}

/// A hash of one block, mixed with its index so that the sum over blocks depends on order.
std::uint64_t block_hash(std::span<const std::byte> b, std::uint64_t index) {
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ (index * 0xc2b2ae3d27d4eb4full);
  std::size_t i = 0;
  for (; i + 8 <= b.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, b.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < b.size(); ++i) h = (h ^ static_cast<std::uint64_t>(b[i])) * 0x100000001b3ull;
  return h ^ (h >> 31);
}

task<void> hash_worker(fs::file& f, job& j, std::size_t block, std::uint64_t& sum) {
  std::vector<std::byte> buf(block);
  while (!j.error && j.next < j.size) {
    const std::uint64_t off = j.next;
    j.next += block;
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(block, j.size - off));
    auto n = co_await read_block(f, std::span(buf).first(want), off);
    if (!n) {
      j.error = n.error();
      co_return;
    }
    if (*n != want) {
      j.error = std::make_error_code(std::errc::io_error);  // shorter than its stat said
      co_return;
    }
    sum += block_hash(std::span(buf).first(want), off / block);
  }
}

/// Runs `depth` workers made by make() and waits for all of them.
template <class Make>
task<void> run_workers(std::size_t depth, Make make) {
  corio::task_group group;
  for (std::size_t i = 0; i < depth; ++i) group.spawn(make());
  co_await group.join();
}

/// The checksum of a whole file, computed with `depth` reads in flight.
task<result<std::uint64_t>> file_checksum(std::string path, copy_options o) {
  auto f = co_await fs::file::open(path);
  if (!f) co_return tl::unexpected(f.error());
  auto size = co_await f->size();
  if (!size) co_return tl::unexpected(size.error());
  job j{*size};
  std::uint64_t sum = *size;
  co_await run_workers(o.depth, [&] { return hash_worker(*f, j, o.block, sum); });
  if (j.error) co_return tl::unexpected(j.error);
  co_return sum;
}

/// Prints why the copy failed; returns the exit code for it.
int report_error(const char* what, const std::string& path, std::error_code ec) {
  std::fprintf(stderr, "copy_file: %s %s: %s\n", what, path.c_str(), ec.message().c_str());
  return 1;
}

/// Copies, verifies and reports; returns the exit code.
task<int> copy_and_verify(std::string src_path, std::string dst_path, copy_options o, std::string backend) {
  const auto t0 = std::chrono::steady_clock::now();
  auto src = co_await fs::file::open(src_path);
  if (!src) co_return report_error("cannot open", src_path, src.error());
  auto size = co_await src->size();
  if (!size) co_return report_error("cannot stat", src_path, size.error());
  auto dst = co_await fs::file::open(dst_path, fs::open_options().write().create().truncate());
  if (!dst) co_return report_error("cannot create", dst_path, dst.error());

  job j{*size};
  co_await run_workers(o.depth, [&] { return copy_worker(*src, *dst, j, o.block); });
  if (j.error) co_return report_error("copy failed", dst_path, j.error);
  // close() reports a write-back error the kernel may only tell now.
  if (auto c = co_await dst->close(); !c) co_return report_error("cannot close", dst_path, c.error());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  auto a = co_await file_checksum(src_path, o);
  if (!a) co_return report_error("cannot verify", src_path, a.error());
  auto b = co_await file_checksum(dst_path, o);
  if (!b) co_return report_error("cannot verify", dst_path, b.error());
  if (*a != *b) {
    std::fprintf(stderr, "copy_file: verification FAILED: %s and %s differ\n", src_path.c_str(), dst_path.c_str());
    co_return 1;
  }
  std::printf("copied %llu bytes in %.3f s: %.1f MB/s [backend %s, depth %zu, block %zu]; verified (checksum %016llx)\n",
              static_cast<unsigned long long>(*size), secs, secs > 0 ? static_cast<double>(*size) / 1e6 / secs : 0.0,
              backend.c_str(), o.depth, o.block, static_cast<unsigned long long>(*a));
  co_return 0;
}

/// No arguments: copy a 4 MiB temporary file (not a multiple of the block size) and verify.
task<int> self_test(std::string backend) {
  char tmpl[] = "/tmp/corio-copy-file-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    std::perror("copy_file: mkdtemp");
    co_return 1;
  }
  const std::string dir = tmpl, src = dir + "/src", dst = dir + "/dst";
  std::vector<std::byte> data((4 << 20) + 1234);
  std::mt19937_64 rng(std::random_device{}());
  for (auto& b : data) b = static_cast<std::byte>(rng());
  int rc = 1;
  if (auto w = co_await fs::write_file(src, data); !w) {
    report_error("cannot write", src, w.error());
  } else {
    std::printf("copy_file self-test: %s -> %s\n", src.c_str(), dst.c_str());
    rc = co_await copy_and_verify(src, dst, copy_options{8, 64 << 10}, backend);
  }
  (void)co_await fs::remove(src);
  (void)co_await fs::remove(dst);
  (void)co_await fs::remove_dir(dir);
  co_return rc;
}

bool parse_size(const char* text, std::size_t& out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (errno || end == text || text[0] == '-') return false;
  if (*end == 'K' || *end == 'k') v <<= 10, ++end;
  else if (*end == 'M' || *end == 'm') v <<= 20, ++end;
  if (*end) return false;
  out = static_cast<std::size_t>(v);
  return true;
}

int usage() {
  std::fprintf(stderr,
               "usage: copy_file SRC DST [--depth N] [--block BYTES]\n"
               "       copy_file            (self-test on a temporary file)\n"
               "  --depth N      reads in flight, 1..1024 (default 32)\n"
               "  --block BYTES  bytes per read, 512..1G, K/M suffixes allowed (default 256K)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  corio::runtime rt;
  const std::string backend(rt.backend());
  if (argc == 1) return rt.block_on(self_test(backend));
  if (argc < 3) return usage();
  copy_options o;
  for (int i = 3; i < argc; i += 2) {
    if (i + 1 >= argc) return usage();
    std::string flag = argv[i];
    std::size_t value = 0;
    if (!parse_size(argv[i + 1], value)) return usage();
    if (flag == "--depth" && value >= 1 && value <= 1024) {
      o.depth = value;
    } else if (flag == "--block" && value >= 512 && value <= (std::size_t{1} << 30)) {
      o.block = value;
    } else {
      return usage();
    }
  }
  return rt.block_on(copy_and_verify(argv[1], argv[2], o, backend));
}
