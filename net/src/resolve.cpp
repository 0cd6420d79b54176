// resolve(): one getaddrinfo operation (core ops.hpp), run by whichever driver is built in.
#include <corio/detail/op_awaiter.hpp>
#include <corio/net/resolve.hpp>

#include <algorithm>
#include <memory>
#include <netdb.h>
#include <utility>

namespace corio::net {

namespace {

class resolve_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "resolve"; }
  std::string message(int value) const override { return ::gai_strerror(value); }
};

// Takes the list out of the operation (so it is freed exactly once, here) and copies it out.
result<std::vector<address>> lookup_result(detail::getaddrinfo_op& op) {
  if (op.result < 0) {
    if (op.gai_error != 0) return tl::unexpected(std::error_code(op.gai_error, resolve_error_category()));
    return tl::unexpected(detail::op_error(op.result));
  }
  std::unique_ptr<::addrinfo, void (*)(::addrinfo*)> list(std::exchange(op.out, nullptr), ::freeaddrinfo);
  std::vector<address> out;
  for (const ::addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
    auto a = address::from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    if (a && std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
  }
  if (out.empty()) return tl::unexpected(std::error_code(EAI_NODATA, resolve_error_category()));
  return out;
}

using lookup_awaiter = detail::op_awaiter<detail::getaddrinfo_op, &lookup_result>;

int native_family(address_family f) noexcept {
  if (f == address_family::ipv4) return AF_INET;
  if (f == address_family::ipv6) return AF_INET6;
  return AF_UNSPEC;
}

}  // namespace

const std::error_category& resolve_error_category() noexcept {
  static const resolve_category category;
  return category;
}

task<result<std::vector<address>>> resolve(std::string host, std::string service, resolve_options options) {
  if (host.empty() || host.find('\0') != std::string::npos || service.find('\0') != std::string::npos) {
    co_return fail(errc::invalid_argument);
  }
  if (options.family != address_family::none && options.family != address_family::ipv4 &&
      options.family != address_family::ipv6) {
    co_return fail(errc::invalid_argument);
  }
  // The strings live in this frame until the operation completes (the buffer rule).
  lookup_awaiter lookup;
  lookup.op.host = host.c_str();
  lookup.op.service = service.empty() ? nullptr : service.c_str();
  lookup.op.family = native_family(options.family);
  lookup.op.socktype = options.datagram ? SOCK_DGRAM : SOCK_STREAM;
  co_return co_await lookup;
}

task<result<std::vector<address>>> resolve(std::string host, std::uint16_t port, resolve_options options) {
  return resolve(std::move(host), std::to_string(port), options);
}

}  // namespace corio::net
