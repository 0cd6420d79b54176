// Name resolution: a host name and a port or service name to socket addresses, off the loop.
#pragma once

#include <corio/net/address.hpp>
#include <corio/result.hpp>
#include <corio/task.hpp>

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace corio::net {

/// The category of resolver failures: values are EAI_* codes (<netdb.h>), messages are
/// gai_strerror's, e.g. EAI_NONAME "Name or service not known" for a name that does not exist.
const std::error_category& resolve_error_category() noexcept;

/// What resolve() looks for.
struct resolve_options {
  address_family family = address_family::none;  ///< none: IPv6 and IPv4; or ipv4 / ipv6 only
  bool datagram = false;                          ///< services as UDP ports rather than TCP
};

/// Resolves `host` (a name from /etc/hosts or DNS, or numeric "127.0.0.1" / "::1") with a port
/// number or service name ("443", "https") to every address, in the resolver's order of
/// preference (RFC 6724), without duplicates. Runs getaddrinfo on the blocking pool (io_uring,
/// epoll) or uv_getaddrinfo (libuv) — never on the loop.
/// Cancellable by timeout() or a task cancel: a lookup no thread has started is withdrawn; one
/// already running finishes on its thread and its result is freed, never leaked.
/// Errors: resolve_error_category() codes (a name that does not exist: EAI_NONAME); an empty
/// host is errc::invalid_argument.
task<result<std::vector<address>>> resolve(std::string host, std::string service, resolve_options options = {});
/// The same with a port number.
task<result<std::vector<address>>> resolve(std::string host, std::uint16_t port, resolve_options options = {});

}  // namespace corio::net
