// loadgen: the echo load generator of the benchmarks. One thread, one epoll instance,
// edge-triggered, so that it costs as little as the servers it measures.
//
//   loadgen --port P [--host H] [--conns N] [--size S] [--depth D]
//           [--warmup W] [--duration T] [--rate R [--pace-us U]] | [--messages M]
//           [--server-pid PID] [--label L]
//
// Opens N connections and keeps D messages of S bytes in flight on each. Every echoed byte is
// checked against what was sent (each message has its own content, so a lost, duplicated or
// reordered byte is caught). Timed mode: W seconds of warm-up, then T seconds measured.
// Counted mode (--messages M): exactly M echoes in total, measured from the first send to the
// last reply (the deterministic-figure runs use it). --rate R paces the load at R messages/s
// in total (a message whose turn has come waits for its slot; slots are released on ticks U µs
// apart, 250 by default, so that the generator does not pay a wake-up per message), so that
// servers can be compared by CPU per message at the same load, below saturation. Prints one JSON object on stdout:
// messages/s, latency percentiles, and with --server-pid the server's CPU time during the
// measured window (utime+stime from /proc/PID/stat, and the scheduler's ns-precise runtime
// summed over /proc/PID/task/*/schedstat), and its VmRSS with every connection open. Exit status 0 only if every byte came back intact.
#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

std::uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "loadgen: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

// ---- latency histogram: log-linear, 64 sub-buckets per power of two (< 1.6% error) ----
class histogram {
 public:
  void record(std::uint64_t v) {
    ++counts_[index(v)];
    ++total_;
    max_ = std::max(max_, v);
  }
  void reset() {
    counts_.fill(0);
    total_ = 0;
    max_ = 0;
  }
  std::uint64_t total() const { return total_; }
  std::uint64_t max() const { return max_; }
  /// The value below which a fraction q of the samples lie (bucket midpoint).
  double quantile(double q) const {
    if (total_ == 0) return 0;
    auto want = static_cast<std::uint64_t>(q * static_cast<double>(total_));
    if (want >= total_) want = total_ - 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > want) return midpoint(i);
    }
    return static_cast<double>(max_);
  }

 private:
  static constexpr std::size_t linear = 128;  // values below are exact
  static std::size_t index(std::uint64_t v) {
    if (v < linear) return v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 6;  // v >> shift lies in [64, 128)
    return linear + static_cast<std::size_t>(shift - 1) * 64 + ((v >> shift) - 64);
  }
  static double midpoint(std::size_t i) {
    if (i < linear) return static_cast<double>(i);
    std::size_t shift = (i - linear) / 64 + 1;
    std::uint64_t top = (i - linear) % 64 + 64;
    return static_cast<double>(top << shift) + static_cast<double>((std::uint64_t{1} << shift) - 1) / 2;
  }
  std::array<std::uint64_t, linear + 58 * 64> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

// ---- the server's CPU time ----
struct cpu_sample {
  double stat_s = 0;   // utime + stime, clock ticks converted to seconds
  double sched_s = 0;  // sum of sum_exec_runtime over the threads
  bool ok = false;
};

cpu_sample read_cpu(int pid) {
  cpu_sample s;
  if (pid <= 0) return s;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "r");
  if (!f) return s;
  char buf[1024];
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');  // the command name may hold spaces
  if (!p) return s;
  // fields after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return s;
  s.stat_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::snprintf(path, sizeof path, "/proc/%d/task", pid);
  if (DIR* d = opendir(path)) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string sp = std::string(path) + "/" + e->d_name + "/schedstat";
      if (FILE* g = std::fopen(sp.c_str(), "r")) {
        unsigned long long run_ns = 0;
        if (std::fscanf(g, "%llu", &run_ns) == 1) s.sched_s += static_cast<double>(run_ns) / 1e9;
        std::fclose(g);
      }
    }
    closedir(d);
  }
  s.ok = true;
  return s;
}

/// The server's resident set (VmRSS) in KiB, 0 if unknown.
long read_rss_kib(int pid) {
  if (pid <= 0) return 0;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE* f = std::fopen(path, "r");
  if (!f) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  }
  std::fclose(f);
  return kib;
}

double own_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// ---- options ----
struct options {
  std::string host = "127.0.0.1";
  int port = 0;
  int conns = 50;
  std::size_t size = 64;
  int depth = 1;
  double warmup = 1;
  double duration = 5;
  std::uint64_t messages = 0;  // counted mode when > 0
  double rate = 0;  // messages/s over all connections; 0: as fast as the server answers
  double pace_us = 250;  // with --rate: messages are released on ticks this far apart
  int server_pid = 0;
  std::string label;
};

// ---- connections ----
struct conn {
  int fd = -1;
  std::uint32_t id = 0;
  std::uint64_t sent = 0;        // messages queued so far
  std::uint64_t rpos = 0;        // bytes received so far (stream position)
  std::vector<char> out;         // bytes queued but not yet written
  std::size_t out_head = 0;
  std::vector<std::uint64_t> ts;  // send time of the D messages in flight, by index % D
  bool done = false;             // counted mode: nothing more to expect
};

class loadgen {
 public:
  explicit loadgen(const options& o) : opt_(o) {
    // Message k of connection c is pattern_[off(c, k)] .. + size: every message differs.
    pattern_.resize(256 + opt_.size);
    for (std::size_t j = 0; j < pattern_.size(); ++j) pattern_[j] = static_cast<char>((j * 7 + (j >> 8) * 13 + 1) & 0xff);
    rbuf_.resize(std::max<std::size_t>(64 * 1024, opt_.size * static_cast<std::size_t>(opt_.depth) * 2));
  }

  int run() {
    connect_all();
    const std::uint64_t t_start = now_ns();
    t_start_ = t_start;
    const bool counted = opt_.messages > 0;
    for (auto& c : conns_) {
      for (int i = 0; i < opt_.depth; ++i) queue_message(c, t_start);
      flush(c);
    }
    initial_ = sent_total_;
    std::uint64_t t_measure = t_start;
    std::uint64_t t_end = t_start + static_cast<std::uint64_t>((opt_.warmup + opt_.duration) * 1e9);
    bool measuring = counted || opt_.warmup <= 0;
    if (!counted && opt_.warmup > 0) t_measure = t_start + static_cast<std::uint64_t>(opt_.warmup * 1e9);
    cpu_sample cpu0 = read_cpu(opt_.server_pid);
    double own0 = own_cpu_s();
    std::uint64_t done0 = 0;

    std::vector<epoll_event> events(1024);
    for (;;) {
      std::uint64_t now = now_ns();
      if (!counted) {
        if (!measuring && now >= t_measure) {
          measuring = true;
          hist_.reset();
          done0 = completed_;
          t_measure = now;
          cpu0 = read_cpu(opt_.server_pid);
          own0 = own_cpu_s();
        }
        if (now >= t_end) break;
      } else if (completed_ >= opt_.messages) {
        break;
      }
      std::uint64_t wait_ns;
      if (!counted) {
        wait_ns = (measuring ? t_end : t_measure) - now;
      } else {
        wait_ns = 10'000'000'000;  // a stuck server: report it rather than hang
      }
      if (opt_.rate > 0) {  // paced: send what the rate allows, sleep until the next slot
        while (!waiting_.empty() && sent_total_ < allowed(now)) {
          conn& w = conns_[waiting_.front()];
          waiting_.pop_front();
          queue_message(w, now);
          flush(w);
        }
        if (!waiting_.empty()) {  // sleep until the next tick of --pace-us that frees a message
          std::uint64_t slot = t_start_ + static_cast<std::uint64_t>(
              static_cast<double>(sent_total_ + 1 - initial_) * 1e9 / opt_.rate);
          const std::uint64_t tick = static_cast<std::uint64_t>(opt_.pace_us * 1000);
          if (tick > 0) slot = t_start_ + ((slot - t_start_) + tick - 1) / tick * tick;
          wait_ns = std::min(wait_ns, slot > now ? slot - now : 0);
        }
      }
      timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
      int n = epoll_pwait2(ep_, events.data(), static_cast<int>(events.size()), &ts, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait");
      }
      if (n == 0 && counted && completed_ == last_completed_) {
        std::fprintf(stderr, "loadgen: no reply for 10 s (%" PRIu64 " of %" PRIu64 " echoes done)\n", completed_,
                     opt_.messages);
        return 1;
      }
      last_completed_ = completed_;
      for (int i = 0; i < n; ++i) {
        conn& c = conns_[events[i].data.u32];
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) on_readable(c);
        if ((events[i].events & EPOLLOUT) && c.out_head < c.out.size()) flush(c);
      }
    }
    const std::uint64_t t_stop = now_ns();
    cpu_sample cpu1 = read_cpu(opt_.server_pid);
    double own1 = own_cpu_s();
    const long rss_kib = read_rss_kib(opt_.server_pid);  // every connection still open
    for (auto& c : conns_) ::close(c.fd);

    const double secs = static_cast<double>(t_stop - t_measure) / 1e9;
    const std::uint64_t msgs = completed_ - done0;
    const double rate = secs > 0 ? static_cast<double>(msgs) / secs : 0;
    std::printf("{\"label\":\"%s\",\"conns\":%d,\"size\":%zu,\"depth\":%d,\"mode\":\"%s\",\"target_rate\":%.0f,"
                "\"seconds\":%.4f,"
                "\"messages\":%" PRIu64 ",\"msgs_per_s\":%.1f,\"mib_per_s\":%.2f,"
                "\"lat_us\":{\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,\"p999\":%.2f,\"max\":%.2f},"
                "\"loadgen_cpu_util\":%.3f",
                opt_.label.c_str(), opt_.conns, opt_.size, opt_.depth, counted ? "counted" : "timed", opt_.rate, secs,
                msgs, rate,
                rate * static_cast<double>(opt_.size) / (1024.0 * 1024.0), hist_.quantile(0.50) / 1e3,
                hist_.quantile(0.90) / 1e3, hist_.quantile(0.99) / 1e3, hist_.quantile(0.999) / 1e3,
                static_cast<double>(hist_.max()) / 1e3, secs > 0 ? (own1 - own0) / secs : 0);
    if (cpu0.ok && cpu1.ok && msgs > 0) {
      const double stat_s = cpu1.stat_s - cpu0.stat_s, sched_s = cpu1.sched_s - cpu0.sched_s;
      std::printf(",\"server_cpu_s\":%.4f,\"server_cpu_util\":%.3f,\"server_cpu_us_per_msg\":%.4f,"
                  "\"server_sched_s\":%.4f,\"server_sched_us_per_msg\":%.4f",
                  stat_s, stat_s / secs, stat_s * 1e6 / static_cast<double>(msgs), sched_s,
                  sched_s * 1e6 / static_cast<double>(msgs));
    }
    if (rss_kib > 0) std::printf(",\"server_rss_kib\":%ld", rss_kib);
    std::printf("}\n");
    return 0;
  }

 private:
  std::size_t off(const conn& c, std::uint64_t k) const { return (c.id * 17u + k * 29u) & 255u; }

  void connect_all() {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(opt_.port));
    if (inet_pton(AF_INET, opt_.host.c_str(), &sa.sin_addr) != 1) {
      std::fprintf(stderr, "loadgen: bad IPv4 address %s\n", opt_.host.c_str());
      std::exit(2);
    }
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) die("epoll_create1");
    conns_.resize(static_cast<std::size_t>(opt_.conns));
    for (int i = 0; i < opt_.conns; ++i) {
      conn& c = conns_[static_cast<std::size_t>(i)];
      c.id = static_cast<std::uint32_t>(i);
      c.ts.resize(static_cast<std::size_t>(opt_.depth));
      // Blocking connect: on loopback it returns once the server's kernel queued the
      // connection, and never overflows the accept backlog with a burst of SYNs.
      c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (c.fd < 0) die("socket");
      int one = 1;
      setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      for (int attempt = 0;; ++attempt) {
        if (::connect(c.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) break;
        if ((errno == ECONNREFUSED || errno == EINTR) && attempt < 200) {
          ::usleep(10'000);  // the server may still be starting
          ::close(c.fd);
          c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          continue;
        }
        die("connect");
      }
      int on = 1;
      if (::ioctl(c.fd, FIONBIO, &on) < 0) die("FIONBIO");
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.u32 = c.id;
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) < 0) die("epoll_ctl");
    }
  }

  /// Messages the rate allows to have been sent by `now` (the first D per connection are free).
  std::uint64_t allowed(std::uint64_t now) const {
    return initial_ + static_cast<std::uint64_t>(static_cast<double>(now - t_start_) * opt_.rate / 1e9);
  }

  void queue_message(conn& c, std::uint64_t now) {
    if (opt_.messages > 0) {
      if (queued_total_ >= opt_.messages) return;
      ++queued_total_;
    }
    ++sent_total_;
    const char* p = pattern_.data() + off(c, c.sent);
    c.out.insert(c.out.end(), p, p + opt_.size);
    c.ts[c.sent % static_cast<std::uint64_t>(opt_.depth)] = now;
    ++c.sent;
  }

  void flush(conn& c) {
    while (c.out_head < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_head, c.out.size() - c.out_head, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_head += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT will follow
      std::fprintf(stderr, "loadgen: send on connection %u: %s\n", c.id, std::strerror(errno));
      std::exit(1);
    }
    c.out.clear();
    c.out_head = 0;
  }

  void on_readable(conn& c) {
    bool queued = false;
    for (;;) {
      ssize_t n = ::recv(c.fd, rbuf_.data(), rbuf_.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        std::fprintf(stderr, "loadgen: recv on connection %u: %s\n", c.id, std::strerror(errno));
        std::exit(1);
      }
      if (n == 0) {
        if (c.done) break;
        std::fprintf(stderr, "loadgen: connection %u closed by the server after %" PRIu64 " bytes\n", c.id, c.rpos);
        std::exit(1);
      }
      const std::uint64_t now = now_ns();
      consume(c, rbuf_.data(), static_cast<std::size_t>(n), now, queued);
      if (static_cast<std::size_t>(n) < rbuf_.size()) break;  // a short read drained the socket
    }
    if (queued) flush(c);
  }

  void consume(conn& c, const char* data, std::size_t len, std::uint64_t now, bool& queued) {
    const std::size_t size = opt_.size;
    while (len > 0) {
      const std::uint64_t k = c.rpos / size;
      const std::size_t i = static_cast<std::size_t>(c.rpos % size);
      const std::size_t n = std::min(len, size - i);
      if (k >= c.sent) {
        std::fprintf(stderr, "loadgen: connection %u received more bytes than it sent\n", c.id);
        std::exit(1);
      }
      if (std::memcmp(data, pattern_.data() + off(c, k) + i, n) != 0) {
        std::fprintf(stderr, "loadgen: connection %u: echoed bytes differ in message %" PRIu64 " at offset %zu\n",
                     c.id, k, i);
        std::exit(1);
      }
      data += n;
      len -= n;
      c.rpos += n;
      if (i + n == size) {  // message k is back
        hist_.record(now - c.ts[k % static_cast<std::uint64_t>(opt_.depth)]);
        ++completed_;
        const std::uint64_t before = c.sent;
        if (opt_.rate > 0 && sent_total_ >= allowed(now)) {
          waiting_.push_back(c.id);  // the loop sends it when the rate allows
        } else {
          queue_message(c, now);
        }
        if (c.sent != before) queued = true;
        if (opt_.messages > 0 && c.rpos == c.sent * size && queued_total_ >= opt_.messages) c.done = true;
      }
    }
  }

  options opt_;
  int ep_ = -1;
  std::vector<conn> conns_;
  std::vector<char> pattern_;
  std::vector<char> rbuf_;
  histogram hist_;
  std::uint64_t completed_ = 0;
  std::uint64_t queued_total_ = 0;
  std::uint64_t last_completed_ = 0;
  // pacing (--rate)
  std::uint64_t t_start_ = 0;
  std::uint64_t sent_total_ = 0;
  std::uint64_t initial_ = 0;
  std::deque<std::uint32_t> waiting_;  // connections whose next message waits for the rate
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "loadgen: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host") o.host = val();
    else if (a == "--port") o.port = std::atoi(val());
    else if (a == "--conns") o.conns = std::atoi(val());
    else if (a == "--size") o.size = static_cast<std::size_t>(std::atol(val()));
    else if (a == "--depth") o.depth = std::atoi(val());
    else if (a == "--warmup") o.warmup = std::atof(val());
    else if (a == "--duration") o.duration = std::atof(val());
    else if (a == "--messages") o.messages = std::strtoull(val(), nullptr, 10);
    else if (a == "--rate") o.rate = std::atof(val());
    else if (a == "--pace-us") o.pace_us = std::atof(val());
    else if (a == "--server-pid") o.server_pid = std::atoi(val());
    else if (a == "--label") o.label = val();
    else {
      std::fprintf(stderr,
                   "usage: loadgen --port P [--host H] [--conns N] [--size S] [--depth D] [--warmup W] "
                   "[--duration T] [--rate R [--pace-us U]] [--messages M] [--server-pid PID] [--label L]\n");
      return 2;
    }
  }
  if (o.port <= 0 || o.conns <= 0 || o.size == 0 || o.depth <= 0) {
    std::fprintf(stderr, "loadgen: --port, --conns, --size and --depth must be positive\n");
    return 2;
  }
  if (o.messages > 0 && o.messages < static_cast<std::uint64_t>(o.conns)) {
    std::fprintf(stderr, "loadgen: --messages must be at least --conns\n");
    return 2;
  }
  return loadgen(o).run();
}
