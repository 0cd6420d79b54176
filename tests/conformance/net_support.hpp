// Helpers shared by the net conformance tests: payloads, checksums, connected pairs.
#pragma once

#include "support.hpp"

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
  BOOST_REQUIRE_MESSAGE(l, "bind 127.0.0.1:0: " << l.error().message());
  return std::move(*l);
}

/// A connected pair of TCP streams over loopback: {client, server}.
inline task<std::pair<tcp_stream, tcp_stream>> tcp_pair(const address& where = address::ipv4_loopback(0)) {
  auto l = tcp_listener::bind(where);
  BOOST_REQUIRE_MESSAGE(l, "bind " << where.to_string() << ": " << l.error().message());
  auto client = co_await tcp_stream::connect(*l->local_address());
  BOOST_REQUIRE_MESSAGE(client, "connect: " << client.error().message());
  auto server = co_await l->accept();  // the kernel finished the handshake from the backlog
  BOOST_REQUIRE_MESSAGE(server, "accept: " << server.error().message());
  co_return std::pair<tcp_stream, tcp_stream>(std::move(*client), std::move(server->stream));
}

/// True if the error is one of the codes a write to a vanished peer may give.
inline bool is_peer_gone(const std::error_code& e) {
  return e == std::errc::broken_pipe || e == std::errc::connection_reset;
}

}  // namespace corio_net_test
