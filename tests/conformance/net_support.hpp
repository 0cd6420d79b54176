// Helpers shared by the net conformance tests: payloads, checksums, connected pairs.
#pragma once

#include "support.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace corio_net_test {

using corio::task;
using namespace corio::net;
using namespace std::chrono_literals;

/// The error message of a failed result, "ok" otherwise. Boost evaluates message operands even
/// when the check passes, so messages must never call error() directly.
template <class R>
std::string describe(const R& r) {
  return r ? std::string("ok") : r.error().message();
}

/// n pseudo-random bytes, reproducible from the seed.
inline std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(gen() & 0xff);
  return v;
}

/// FNV-1a over the bytes.
inline std::uint64_t checksum(std::span<const std::byte> data) {
  std::uint64_t h = 1469598103934665603ull;
  for (auto b : data) h = (h ^ static_cast<std::uint8_t>(b)) * 1099511628211ull;
  return h;
}

inline std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }
inline std::string_view text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// A listener on 127.0.0.1 with a kernel-chosen port.
inline tcp_listener loopback_listener() {
  auto l = tcp_listener::bind(address::ipv4_loopback(0));
  BOOST_REQUIRE_MESSAGE(l, "bind 127.0.0.1:0: " << describe(l));
  return std::move(*l);
}

/// A connected pair of TCP streams over loopback: {client, server}.
inline task<std::pair<tcp_stream, tcp_stream>> tcp_pair(const address& where = address::ipv4_loopback(0)) {
  auto l = tcp_listener::bind(where);
  BOOST_REQUIRE_MESSAGE(l, "bind " << where.to_string() << ": " << describe(l));
  auto client = co_await tcp_stream::connect(*l->local_address());
  BOOST_REQUIRE_MESSAGE(client, "connect: " << describe(client));
  auto server = co_await l->accept();  // the kernel finished the handshake from the backlog
  BOOST_REQUIRE_MESSAGE(server, "accept: " << describe(server));
  co_return std::pair<tcp_stream, tcp_stream>(std::move(*client), std::move(server->stream));
}

/// True if the error is one of the codes a write to a vanished peer may give.
inline bool is_peer_gone(const std::error_code& e) {
  return e == std::errc::broken_pipe || e == std::errc::connection_reset;
}

/// Echoes everything read back to the sender until end-of-stream, then sends FIN.
template <class Stream>
task<void> echo_until_eof(Stream s) {
  std::vector<std::byte> buf(64 * 1024);
  for (;;) {
    auto n = co_await s.read(buf);
    BOOST_REQUIRE_MESSAGE(n, "echo read: " << describe(n));
    if (*n == 0) break;
    auto w = co_await s.write_all(std::span(buf).first(*n));
    BOOST_REQUIRE_MESSAGE(w, "echo write: " << describe(w));
  }
  BOOST_CHECK(co_await s.shutdown());
}

/// Sends `payload` through `client` to a peer that echoes it (server), writing and reading
/// in two concurrently spawned tasks; checks length and checksum of what came back.
template <class Stream>
task<void> round_trip(Stream client, Stream server, std::size_t size, std::uint32_t seed) {
  auto payload = random_bytes(size, seed);
  auto [rd, wr] = std::move(client).split();
  auto echo = corio::spawn(echo_until_eof(std::move(server)));
  auto writer = corio::spawn([](corio::write_half<Stream> w, std::span<const std::byte> data) -> task<void> {
    // Uneven chunks so writes and reads interleave at odd boundaries.
    std::size_t off = 0, chunk = 1;
    while (off < data.size()) {
      std::size_t n = std::min(chunk, data.size() - off);
      auto r = co_await w.write_all(data.subspan(off, n));
      BOOST_REQUIRE_MESSAGE(r, "write: " << describe(r));
      off += n;
      chunk = chunk * 3 + 7;
      if (chunk > 200'000) chunk = 13;
    }
    BOOST_CHECK(co_await w.shutdown());
  }(std::move(wr), payload));
  auto reader = corio::spawn([](corio::read_half<Stream> r) -> task<std::vector<std::byte>> {
    std::vector<std::byte> got;
    std::vector<std::byte> buf(50'000);
    for (;;) {
      auto n = co_await r.read(buf);
      BOOST_REQUIRE_MESSAGE(n, "read: " << describe(n));
      if (*n == 0) break;
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    co_return got;
  }(std::move(rd)));
  BOOST_CHECK(co_await writer);
  auto got = co_await reader;
  BOOST_REQUIRE(got);
  BOOST_CHECK(co_await echo);
  BOOST_CHECK_EQUAL(got->size(), payload.size());
  BOOST_CHECK_EQUAL(checksum(*got), checksum(payload));
}

}  // namespace corio_net_test
