// corio::net::address: an IPv4, IPv6 or Unix-domain socket address, a plain value.
#pragma once

#include <corio/result.hpp>

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/socket.h>

namespace corio::net {

/// The kind of address an `address` holds.
enum class address_family { none, ipv4, ipv6, unix_path, unix_abstract, unix_unnamed };

/// A socket address: IPv4, IPv6 (with scope id), a Unix path, a Linux abstract Unix name, or
/// an unnamed Unix socket (a socketpair end, an unbound client). Trivially copyable, 132 bytes.
class address {
 public:
  /// Longest Unix path that fits sun_path with its terminating NUL.
  static constexpr std::size_t max_unix_path = 107;

  /// An empty address (family none); what a default-constructed handle reports.
  address() noexcept = default;

  /// Parses numeric text, never resolving names (no DNS):
  ///   "127.0.0.1:8080"   IPv4 and port (the port is required, 0..65535)
  ///   "[::1]:80"         IPv6 in brackets, optional scope "[fe80::1%eth0]:80" or "%2"
  ///   "/run/x.sock" "./x.sock" "unix:x.sock"   Unix path (at most 107 bytes)
  ///   "@name"            Linux abstract Unix name (at most 107 bytes)
  /// Anything else — missing or out-of-range port, bad digits, stray spaces, unbracketed IPv6,
  /// host names, over-long paths, embedded NULs — is errc::invalid_argument.
  static result<address> parse(std::string_view text) noexcept;

  /// An IPv4 address from four octets and a port.
  static address ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) noexcept;
  /// 127.0.0.1:port and 0.0.0.0:port.
  static address ipv4_loopback(std::uint16_t port) noexcept;
  static address ipv4_any(std::uint16_t port) noexcept;
  /// [::1]:port and [::]:port.
  static address ipv6_loopback(std::uint16_t port) noexcept;
  static address ipv6_any(std::uint16_t port) noexcept;
  /// A Unix path; empty, over-long (> 107 bytes) or NUL-containing paths are invalid_argument.
  static result<address> unix_path(std::string_view path) noexcept;
  /// A Linux abstract Unix name (without the leading NUL or '@'), at most 107 bytes.
  static result<address> unix_abstract(std::string_view name) noexcept;
  /// Copies a kernel-filled sockaddr (AF_INET, AF_INET6, AF_UNIX); anything else or a length
  /// too short for its family is invalid_argument.
  static result<address> from_sockaddr(const ::sockaddr* sa, ::socklen_t len) noexcept;

  address_family family() const noexcept;
  bool is_ip() const noexcept { return family() == address_family::ipv4 || family() == address_family::ipv6; }
  bool is_unix() const noexcept;
  /// The port of an IP address (host order); 0 for other families.
  std::uint16_t port() const noexcept;
  /// The same address with another port (IP only; others are returned unchanged).
  address with_port(std::uint16_t port) const noexcept;
  /// The Unix path or abstract name (without '@'); empty for other families.
  std::string_view unix_name() const noexcept;
  /// True for 127.0.0.0/8 and ::1.
  bool is_loopback() const noexcept;

  /// Text that parse() reads back to an equal address: "1.2.3.4:80", "[::1%2]:80",
  /// "/path", "unix:rel/path", "@abstract"; "(unnamed)" and "(none)" do not parse.
  std::string to_string() const;

  /// The raw sockaddr for system calls.
  const ::sockaddr* sockaddr_ptr() const noexcept { return reinterpret_cast<const ::sockaddr*>(&storage_); }
  ::socklen_t sockaddr_len() const noexcept { return len_; }
  /// The AF_* constant for socket(2) (AF_UNSPEC when empty).
  int native_family() const noexcept { return storage_.ss_family; }

  /// Equal when family, bytes of the address, port and scope match (IPv6 flow info ignored).
  friend bool operator==(const address& a, const address& b) noexcept { return compare(a, b) == 0; }
  /// A total order: by family, then address bytes, then port (usable as a map key).
  friend std::strong_ordering operator<=>(const address& a, const address& b) noexcept {
    return compare(a, b) <=> 0;
  }

 private:
  static int compare(const address& a, const address& b) noexcept;
  ::sockaddr_storage storage_{};
  ::socklen_t len_ = 0;
};

}  // namespace corio::net

/// Hash for unordered containers.
template <>
struct std::hash<corio::net::address> {
  std::size_t operator()(const corio::net::address& a) const noexcept;
};
