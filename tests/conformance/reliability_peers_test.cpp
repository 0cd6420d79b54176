// Peers that misbehave: a reset in the middle of a transfer, a reader that is slow, and a peer
// that vanishes without a FIN (a network namespace behind a veth pair, its traffic dropped by
// nftables) — keepalive and an application timeout must each end the wait.
#include "net_support.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <sched.h>
#include <thread>
#include <unistd.h>

using namespace corio_test;
using namespace corio_net_test;
using clk = std::chrono::steady_clock;

namespace {

/// Resident memory of this process, in KiB.
long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kb = 0;
      in >> kb;
      return kb;
    }
    in.ignore(1 << 12, '\n');
  }
  return -1;
}

double seconds_since(clk::time_point t0) { return std::chrono::duration<double>(clk::now() - t0).count(); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(reliability_peers, runtime_fixture)

// The peer sends part of a message, then resets (SO_LINGER 0): the read pending on our side
// gets ECONNRESET, not end-of-stream and not a hang.
BOOST_AUTO_TEST_CASE(reset_mid_transfer_fails_a_pending_read) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    auto part = random_bytes(100'000, 7);  // the first 100 kB of a longer message
    BOOST_REQUIRE(co_await client.write_all(part));
    std::vector<std::byte> got(part.size());
    BOOST_REQUIRE(co_await server.read_exact(got));
    BOOST_CHECK(got == part);
    std::array<std::byte, 4096> buf;
    auto reader = corio::spawn(server.read(buf));  // pending: nothing more has been sent
    co_await corio::sleep_for(20ms);
    BOOST_REQUIRE(client.set_linger(0s));
    BOOST_REQUIRE(co_await client.close());  // RST
    auto r = co_await corio::timeout(5s, std::move(reader));
    BOOST_REQUIRE_MESSAGE(r, "join: " << describe(r));
    BOOST_REQUIRE_MESSAGE(!*r, "the pending read got " << (*r ? std::to_string(**r) : "") << " bytes");
    BOOST_CHECK_MESSAGE(r->error() == std::errc::connection_reset, r->error().message());
  }());
}

// We are writing 64 MiB to a peer that read 1 MiB and then reset: the write pending on our side
// (the socket buffer is full) gets ECONNRESET.
BOOST_AUTO_TEST_CASE(reset_mid_transfer_fails_a_pending_write) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    auto payload = random_bytes(64 << 20, 8);
    auto writer = corio::spawn(server.write_all(payload));
    std::vector<std::byte> got(1 << 20);
    BOOST_REQUIRE(co_await client.read_exact(got));
    BOOST_CHECK(std::equal(got.begin(), got.end(), payload.begin()));
    co_await corio::sleep_for(50ms);  // the writer fills the buffers and waits
    BOOST_REQUIRE(!writer.finished());
    BOOST_REQUIRE(client.set_linger(0s));
    BOOST_REQUIRE(co_await client.close());  // RST
    auto r = co_await corio::timeout(5s, std::move(writer));
    BOOST_REQUIRE_MESSAGE(r, "join: " << describe(r));
    BOOST_REQUIRE(!*r);
    BOOST_CHECK_MESSAGE(r->error() == std::errc::connection_reset, r->error().message());
  }());
}

// A reader that takes its time: write_all of 64 MiB completes with every byte in order, and the
// writer's memory does not grow with what it has not sent yet (the runtime buffers nothing).
BOOST_AUTO_TEST_CASE(slow_reader_gets_64_mib_exactly_with_bounded_memory) {
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair();
    const std::size_t size = 64 << 20;
    auto payload = random_bytes(size, 9);
    const auto expected = checksum(payload);
    const long rss_before = rss_kb();
    auto writer = corio::spawn(server.write_all(payload));
    std::vector<std::byte> buf(64 * 1024);
    std::uint64_t h = 1469598103934665603ull;
    std::size_t total = 0, reads = 0;
    long rss_peak = rss_before;
    auto t0 = clk::now();
    for (;;) {
      auto n = co_await client.read(buf);
      BOOST_REQUIRE_MESSAGE(n, "read: " << describe(n));
      if (*n == 0) break;
      for (std::size_t i = 0; i < *n; ++i) h = (h ^ static_cast<std::uint8_t>(buf[i])) * 1099511628211ull;
      total += *n;
      if (++reads % 16 == 0) rss_peak = std::max(rss_peak, rss_kb());
      co_await corio::sleep_for(1ms);  // slow: the writer waits on a full socket buffer
      if (total == size) break;
    }
    auto w = co_await writer;
    BOOST_REQUIRE(w);
    BOOST_CHECK_MESSAGE(*w, "write_all: " << describe(*w));
    BOOST_CHECK_EQUAL(total, size);
    BOOST_CHECK_EQUAL(h, expected);
    const long growth_kb = rss_peak - rss_before;
    BOOST_TEST_MESSAGE("slow reader: " << reads << " reads in " << seconds_since(t0) << " s, RSS growth "
                                       << growth_kb << " KiB");
    // A copy of the unsent data would be 64 MiB; allow for allocator and sanitizer noise.
    BOOST_CHECK_MESSAGE(growth_kb < 24 * 1024, "RSS grew by " << growth_kb << " KiB while writing 64 MiB");
  }());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- a peer that vanishes without a FIN ----

namespace {

/// Runs a shell command; true if it exited 0.
bool sh(const std::string& cmd) {
  std::string quiet = cmd + " >/dev/null 2>&1";
  return std::system(quiet.c_str()) == 0;
}

/// A network namespace with a veth pair to it: 10.R.S.1 here, 10.R.S.2 inside. Removed (with
/// its end of the pair, its nftables rules and the other end) when this goes.
class netns_peer {
 public:
  netns_peer() {
    const int id = static_cast<int>(::getpid() % 50000);
    name_ = "corio-rel-" + std::to_string(id);
    host_if_ = "crv" + std::to_string(id) + "a";
    peer_if_ = "crv" + std::to_string(id) + "b";
    const int a = 100 + id / 250 % 100, b = id % 250;
    here_ = "10." + std::to_string(a) + "." + std::to_string(b) + ".1";
    there_ = "10." + std::to_string(a) + "." + std::to_string(b) + ".2";
    sh("ip netns del " + name_);  // left over from a killed run
    ok_ = sh("ip netns add " + name_);
    if (!ok_) return;
    const std::string in = "ip netns exec " + name_ + " ";
    ok_ = sh("ip link add " + host_if_ + " type veth peer name " + peer_if_) &&
          sh("ip link set " + peer_if_ + " netns " + name_) &&
          sh("ip addr add " + here_ + "/30 dev " + host_if_) && sh("ip link set " + host_if_ + " up") &&
          sh(in + "ip addr add " + there_ + "/30 dev " + peer_if_) && sh(in + "ip link set " + peer_if_ + " up") &&
          sh(in + "ip link set lo up");
  }
  ~netns_peer() {
    sh("ip link del " + host_if_);
    sh("ip netns del " + name_);
  }
  bool ok() const { return ok_; }
  const std::string& there() const { return there_; }

  /// A listening TCP socket inside the namespace (made on a thread that joins it; a socket
  /// stays in the namespace it was created in). -1 on failure.
  int listen_inside() const {
    int fd = -1;
    std::thread t([&] {
      int ns = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0) return;
      if (::setns(ns, CLONE_NEWNET) == 0) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ::sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(7411);
        ::inet_pton(AF_INET, there_.c_str(), &sa.sin_addr);
        if (::bind(fd, reinterpret_cast<::sockaddr*>(&sa), sizeof(sa)) != 0 || ::listen(fd, 16) != 0) {
          ::close(fd);
          fd = -1;
        }
      }
      ::close(ns);
    });
    t.join();
    return fd;
  }

  /// Drops every packet entering the namespace: the peer stays up but never answers again,
  /// and never sends a FIN or a reset.
  bool drop_everything() const {
    const std::string nft = "ip netns exec " + name_ + " nft ";
    return sh(nft + "add table inet corio_drop") &&
           sh(nft + "'add chain inet corio_drop in { type filter hook input priority 0; policy drop; }'");
  }

 private:
  std::string name_, host_if_, peer_if_, here_, there_;
  bool ok_ = false;
};

/// Why this machine cannot run the vanished-peer test, or "" if it can.
std::string vanished_peer_unsupported() {
  if (::geteuid() != 0) return "needs root (network namespaces, nftables)";
  if (!sh("command -v ip")) return "the ip command (iproute2) is not installed";
  if (!sh("command -v nft")) return "the nft command (nftables) is not installed";
  return "";
}

/// Connects to the peer in the namespace, accepts there (blocking), and returns the stream.
task<tcp_stream> connect_to(const netns_peer& ns, int listener, int& accepted) {
  auto c = co_await corio::timeout(5s, tcp_stream::connect(*address::parse(ns.there() + ":7411")));
  BOOST_REQUIRE_MESSAGE(c, "connect into the namespace: " << describe(c));
  accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  BOOST_REQUIRE(accepted >= 0);
  co_return std::move(*c);
}

}  // namespace

BOOST_AUTO_TEST_CASE(vanished_peer_keepalive_and_timeout) {
  runtime_fixture f;
  if (auto why = vanished_peer_unsupported(); !why.empty()) return skip(f.rt, why);
  netns_peer ns;
  if (!ns.ok()) return skip(f.rt, "could not create a network namespace with a veth pair here");
  int listener = ns.listen_inside();
  BOOST_REQUIRE_MESSAGE(listener >= 0, "listen inside the namespace");
  f.rt.block_on([](const netns_peer& ns, int listener) -> task<void> {
    int peer1 = -1, peer2 = -1;
    auto with_keepalive = co_await connect_to(ns, listener, peer1);
    auto with_timeout = co_await connect_to(ns, listener, peer2);
    // Both connections work before the cut.
    BOOST_REQUIRE(co_await with_keepalive.write_all(bytes("ping")));
    char b4[4];
    BOOST_REQUIRE_EQUAL(::recv(peer1, b4, 4, MSG_WAITALL), 4);
    BOOST_REQUIRE(with_keepalive.set_keepalive(1s, 1s, 3));
    BOOST_REQUIRE(ns.drop_everything());

    // Keepalive: idle 1 s, then 3 probes 1 s apart go unanswered: ETIMEDOUT after ~4 s.
    auto t0 = clk::now();
    auto ka = corio::spawn([](tcp_stream& s, clk::time_point t0) -> task<std::pair<std::error_code, double>> {
      std::array<std::byte, 64> buf;
      auto r = co_await s.read(buf);
      co_return std::pair{r ? std::error_code{} : r.error(), seconds_since(t0)};
    }(with_keepalive, t0));
    // Meanwhile, without keepalive, an application timeout of 1.5 s ends a read on time.
    std::array<std::byte, 64> buf;
    auto t1 = clk::now();
    auto r = co_await corio::timeout(1500ms, with_timeout.read(buf));
    const double timeout_s = seconds_since(t1);
    BOOST_CHECK_MESSAGE(!r && r.error() == corio::errc::timed_out, "timeout: " << describe(r));
    BOOST_CHECK_MESSAGE(timeout_s >= 1.45 && timeout_s < 2.5, "the 1.5 s timeout ended the read after " << timeout_s << " s");

    auto k = co_await corio::timeout(15s, std::move(ka));
    BOOST_REQUIRE_MESSAGE(k, "the keepalive read did not end within 15 s");
    auto [err, secs] = *k;
    BOOST_TEST_MESSAGE("keepalive ended the read after " << secs << " s with " << err.message());
    BOOST_CHECK_MESSAGE(err == std::errc::timed_out, "keepalive read: " << (err ? err.message() : "success"));
    BOOST_CHECK_MESSAGE(secs >= 3.0 && secs <= 6.0, "keepalive ended the read after " << secs << " s (expected 3-6)");
    ::close(peer1);
    ::close(peer2);
  }(ns, listener));
  ::close(listener);
}
