// Fuzzes corio::net::address::parse (and from_sockaddr): never a crash or UB, and whatever
// parses prints back (to_string) to text that parses to the same address.
#include <corio/net/address.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <sys/socket.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using corio::net::address;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto a = address::parse(text)) {
    const auto family = a->family();
    if (family == corio::net::address_family::none) std::abort();
    if (a->sockaddr_len() > sizeof(::sockaddr_storage)) std::abort();
    auto printed = a->to_string();
    auto again = address::parse(printed);
    if (!again || !(*again == *a)) std::abort();  // round trip
    // And through the raw sockaddr, as the kernel would hand it back.
    auto raw = address::from_sockaddr(a->sockaddr_ptr(), a->sockaddr_len());
    if (!raw || !(*raw == *a)) std::abort();
  }
  // Arbitrary bytes as a kernel-filled sockaddr: accepted or refused, never read past `size`.
  if (size >= sizeof(::sa_family_t)) {
    ::sockaddr_storage ss{};
    std::size_t n = size < sizeof(ss) ? size : sizeof(ss);
    std::memcpy(&ss, data, n);
    (void)address::from_sockaddr(reinterpret_cast<const ::sockaddr*>(&ss), static_cast<::socklen_t>(n));
  }
  return 0;
}
