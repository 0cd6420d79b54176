// Address parsing and formatting. Only numeric text is accepted: parse() never blocks on DNS.
#include <corio/net/address.hpp>

#include <arpa/inet.h>
#include <cstddef>
#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

namespace corio::net {

namespace {

constexpr std::size_t path_offset = offsetof(::sockaddr_un, sun_path);

tl::unexpected<std::error_code> invalid() noexcept { return fail(errc::invalid_argument); }

/// 1 to 5 decimal digits, at most 65535. Signs, spaces and hex are rejected.
result<std::uint16_t> parse_port(std::string_view s) noexcept {
  if (s.empty() || s.size() > 5) return invalid();
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return invalid();
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return invalid();
  return static_cast<std::uint16_t>(v);
}

/// inet_pton needs a NUL-terminated string; host parts are short, so a stack buffer suffices.
bool pton(int af, std::string_view s, void* out) noexcept {
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return ::inet_pton(af, buf, out) == 1;
}

result<std::uint32_t> parse_scope(std::string_view s) noexcept {
  if (s.empty() || s.size() >= IF_NAMESIZE) return invalid();
  if (s.find_first_not_of("0123456789") == std::string_view::npos) {
    if (s.size() > 9) return invalid();  // fits a 32-bit index without overflow checks
    std::uint32_t v = 0;
    for (char c : s) v = v * 10 + static_cast<std::uint32_t>(c - '0');
    return v;
  }
  char name[IF_NAMESIZE];
  std::memcpy(name, s.data(), s.size());
  name[s.size()] = '\0';
  unsigned idx = ::if_nametoindex(name);
  if (idx == 0) return invalid();  // no such interface
  return idx;
}

result<address> parse_ipv6(std::string_view text) noexcept {
  // "[host%scope]:port"
  auto close = text.find(']');
  if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return invalid();
  std::string_view host = text.substr(1, close - 1);
  auto port = parse_port(text.substr(close + 2));
  if (!port) return tl::unexpected(port.error());
  std::uint32_t scope = 0;
  if (auto pct = host.find('%'); pct != std::string_view::npos) {
    auto s = parse_scope(host.substr(pct + 1));
    if (!s) return tl::unexpected(s.error());
    scope = *s;
    host = host.substr(0, pct);
  }
  ::sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(*port);
  sa.sin6_scope_id = scope;
  if (!pton(AF_INET6, host, &sa.sin6_addr)) return invalid();
  return address::from_sockaddr(reinterpret_cast<const ::sockaddr*>(&sa), sizeof(sa));
}

result<address> parse_ipv4(std::string_view text) noexcept {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalid();
  auto port = parse_port(text.substr(colon + 1));
  if (!port) return tl::unexpected(port.error());
  ::sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(*port);
  // inet_pton(AF_INET) takes exactly four decimal octets: no "1.2.3", hex, octal or spaces.
  if (!pton(AF_INET, text.substr(0, colon), &sa.sin_addr)) return invalid();
  return address::from_sockaddr(reinterpret_cast<const ::sockaddr*>(&sa), sizeof(sa));
}

result<address> make_unix(std::string_view name, bool abstract) noexcept {
  if (name.empty() || name.size() > address::max_unix_path) return invalid();
  if (name.find('\0') != std::string_view::npos) return invalid();
  ::sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  char* dst = sa.sun_path + (abstract ? 1 : 0);
  std::memcpy(dst, name.data(), name.size());
  // A path carries its NUL terminator; an abstract name is exactly its bytes after the NUL.
  auto len = static_cast<::socklen_t>(path_offset + name.size() + 1);
  return address::from_sockaddr(reinterpret_cast<const ::sockaddr*>(&sa), len);
}

template <class T>
const T& as(const ::sockaddr_storage& s) noexcept {
  return *reinterpret_cast<const T*>(&s);
}

int cmp_bytes(const void* a, std::size_t na, const void* b, std::size_t nb) noexcept {
  int c = std::memcmp(a, b, na < nb ? na : nb);
  if (c != 0) return c;
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

}  // namespace

result<address> address::parse(std::string_view text) noexcept {
  if (text.empty()) return invalid();
  if (text.front() == '[') return parse_ipv6(text);
  if (text.front() == '@') return unix_abstract(text.substr(1));
  if (text.front() == '/' || text.front() == '.') return unix_path(text);
  if (text.starts_with("unix:")) return unix_path(text.substr(5));
  return parse_ipv4(text);
}

address address::ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) noexcept {
  ::sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl((std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d);
  return *from_sockaddr(reinterpret_cast<const ::sockaddr*>(&sa), sizeof(sa));
}

address address::ipv4_loopback(std::uint16_t port) noexcept { return ipv4(127, 0, 0, 1, port); }
address address::ipv4_any(std::uint16_t port) noexcept { return ipv4(0, 0, 0, 0, port); }

address address::ipv6_loopback(std::uint16_t port) noexcept {
  ::sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  sa.sin6_addr = in6addr_loopback;
  return *from_sockaddr(reinterpret_cast<const ::sockaddr*>(&sa), sizeof(sa));
}

address address::ipv6_any(std::uint16_t port) noexcept {
  ::sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  sa.sin6_addr = in6addr_any;
  return *from_sockaddr(reinterpret_cast<const ::sockaddr*>(&sa), sizeof(sa));
}

result<address> address::unix_path(std::string_view path) noexcept { return make_unix(path, false); }
result<address> address::unix_abstract(std::string_view name) noexcept { return make_unix(name, true); }

result<address> address::from_sockaddr(const ::sockaddr* sa, ::socklen_t len) noexcept {
  if (!sa || len < static_cast<::socklen_t>(sizeof(::sa_family_t)) || len > static_cast<::socklen_t>(sizeof(::sockaddr_storage))) {
    return invalid();
  }
  address a;
  switch (sa->sa_family) {
    case AF_INET:
      if (len < static_cast<::socklen_t>(sizeof(::sockaddr_in))) return invalid();
      len = sizeof(::sockaddr_in);
      break;
    case AF_INET6:
      if (len < static_cast<::socklen_t>(sizeof(::sockaddr_in6))) return invalid();
      len = sizeof(::sockaddr_in6);
      break;
    case AF_UNIX: {
      if (len > static_cast<::socklen_t>(sizeof(::sockaddr_un))) return invalid();
      auto* un = reinterpret_cast<const ::sockaddr_un*>(sa);
      if (len > path_offset && un->sun_path[0] != '\0') {
        // A path: the kernel may or may not count the NUL; store it with exactly one.
        std::size_t n = ::strnlen(un->sun_path, len - path_offset);
        if (n > max_unix_path) return invalid();
        len = static_cast<::socklen_t>(path_offset + n + 1);
      }
      break;
    }
    default:
      return invalid();
  }
  std::memcpy(&a.storage_, sa, len);
  a.len_ = len;
  return a;
}

address_family address::family() const noexcept {
  switch (storage_.ss_family) {
    case AF_INET: return address_family::ipv4;
    case AF_INET6: return address_family::ipv6;
    case AF_UNIX: {
      if (len_ <= path_offset) return address_family::unix_unnamed;
      return as<::sockaddr_un>(storage_).sun_path[0] == '\0' ? address_family::unix_abstract
                                                              : address_family::unix_path;
    }
    default: return address_family::none;
  }
}

bool address::is_unix() const noexcept { return storage_.ss_family == AF_UNIX; }

std::uint16_t address::port() const noexcept {
  if (storage_.ss_family == AF_INET) return ntohs(as<::sockaddr_in>(storage_).sin_port);
  if (storage_.ss_family == AF_INET6) return ntohs(as<::sockaddr_in6>(storage_).sin6_port);
  return 0;
}

address address::with_port(std::uint16_t port) const noexcept {
  address a = *this;
  if (a.storage_.ss_family == AF_INET) reinterpret_cast<::sockaddr_in&>(a.storage_).sin_port = htons(port);
  if (a.storage_.ss_family == AF_INET6) reinterpret_cast<::sockaddr_in6&>(a.storage_).sin6_port = htons(port);
  return a;
}

std::string_view address::unix_name() const noexcept {
  const auto& un = as<::sockaddr_un>(storage_);
  const auto f = family();
  if (f == address_family::unix_path) return {un.sun_path, len_ - path_offset - 1};
  if (f == address_family::unix_abstract) return {un.sun_path + 1, len_ - path_offset - 1};
  return {};
}

bool address::is_loopback() const noexcept {
  if (storage_.ss_family == AF_INET) return (ntohl(as<::sockaddr_in>(storage_).sin_addr.s_addr) >> 24) == 127;
  if (storage_.ss_family == AF_INET6) return IN6_IS_ADDR_LOOPBACK(&as<::sockaddr_in6>(storage_).sin6_addr);
  return false;
}

std::string address::to_string() const {
  char host[INET6_ADDRSTRLEN];
  switch (family()) {
    case address_family::none: return "(none)";
    case address_family::unix_unnamed: return "(unnamed)";
    case address_family::ipv4:
      ::inet_ntop(AF_INET, &as<::sockaddr_in>(storage_).sin_addr, host, sizeof(host));
      return std::string(host) + ":" + std::to_string(port());
    case address_family::ipv6: {
      const auto& sa = as<::sockaddr_in6>(storage_);
      ::inet_ntop(AF_INET6, &sa.sin6_addr, host, sizeof(host));
      std::string s = "[";
      s += host;
      if (sa.sin6_scope_id != 0) {
        char name[IF_NAMESIZE];
        s += '%';
        s += ::if_indextoname(sa.sin6_scope_id, name) ? std::string(name) : std::to_string(sa.sin6_scope_id);
      }
      return s + "]:" + std::to_string(port());
    }
    case address_family::unix_abstract: return "@" + std::string(unix_name());
    case address_family::unix_path: {
      std::string_view p = unix_name();
      // Only paths starting with '/' or '.' parse back bare; others keep the prefix.
      if (p.front() == '/' || p.front() == '.') return std::string(p);
      return "unix:" + std::string(p);
    }
  }
  return "(none)";
}

int address::compare(const address& a, const address& b) noexcept {
  auto fa = a.family(), fb = b.family();
  if (fa != fb) return fa < fb ? -1 : 1;
  switch (fa) {
    case address_family::ipv4: {
      const auto &x = as<::sockaddr_in>(a.storage_), &y = as<::sockaddr_in>(b.storage_);
      if (int c = std::memcmp(&x.sin_addr, &y.sin_addr, sizeof(x.sin_addr))) return c;
      break;
    }
    case address_family::ipv6: {
      const auto &x = as<::sockaddr_in6>(a.storage_), &y = as<::sockaddr_in6>(b.storage_);
      if (int c = std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(x.sin6_addr))) return c;
      if (x.sin6_scope_id != y.sin6_scope_id) return x.sin6_scope_id < y.sin6_scope_id ? -1 : 1;
      break;
    }
    case address_family::unix_path:
    case address_family::unix_abstract: {
      auto x = a.unix_name(), y = b.unix_name();
      return cmp_bytes(x.data(), x.size(), y.data(), y.size());
    }
    case address_family::none:
    case address_family::unix_unnamed:
      return 0;
  }
  auto pa = a.port(), pb = b.port();
  return pa == pb ? 0 : (pa < pb ? -1 : 1);
}

}  // namespace corio::net

std::size_t std::hash<corio::net::address>::operator()(const corio::net::address& a) const noexcept {
  // Hashes what operator== compares: family, text of the address bytes and the port.
  std::size_t h = std::hash<int>{}(static_cast<int>(a.family()));
  auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
  const auto* sa = a.sockaddr_ptr();
  if (a.family() == corio::net::address_family::ipv4) {
    mix(reinterpret_cast<const ::sockaddr_in*>(sa)->sin_addr.s_addr);
  } else if (a.family() == corio::net::address_family::ipv6) {
    const auto* in6 = reinterpret_cast<const ::sockaddr_in6*>(sa);
    mix(std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(&in6->sin6_addr), sizeof(in6->sin6_addr))));
    mix(in6->sin6_scope_id);
  } else {
    mix(std::hash<std::string_view>{}(a.unix_name()));
  }
  mix(a.port());
  return h;
}
