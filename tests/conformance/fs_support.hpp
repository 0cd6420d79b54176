// Helpers shared by the fs conformance tests: byte views, reproducible random data, a checksum.
#pragma once

#include "support.hpp"

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corio_fs_test {

inline std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }
inline std::span<std::byte> wbytes(std::string& s) { return std::as_writable_bytes(std::span(s.data(), s.size())); }
inline std::string_view text(std::span<const std::byte> b, std::size_t n) {
  return {reinterpret_cast<const char*>(b.data()), n};
}

/// n bytes from a seeded generator: the same seed gives the same data.
inline std::vector<std::byte> random_bytes(std::size_t n, std::uint64_t seed) {
  std::vector<std::byte> out(n);
  std::mt19937_64 rng(seed);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = rng();
    std::memcpy(out.data() + i, &w, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<std::byte>(rng());
  return out;
}

/// FNV-1a over 64-bit words (then the tail): order-sensitive, fast enough for 64 MiB under ASan.
inline std::uint64_t checksum(std::span<const std::byte> b) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  std::size_t i = 0;
  for (; i + 8 <= b.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, b.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
  }
  for (; i < b.size(); ++i) h = (h ^ static_cast<std::uint64_t>(b[i])) * 0x100000001b3ull;
  return h;
}

/// Polls until `pred` holds or `limit` passes (for effects that finish on the loop's next turns).
template <class Pred>
corio::task<bool> eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) co_return false;
    co_await corio::sleep_for(std::chrono::milliseconds(1));
  }
  co_return true;
}

}  // namespace corio_fs_test
