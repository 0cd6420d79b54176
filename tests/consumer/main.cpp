// Links the installed corio and runs a few tasks and a timer on the recorded backend; builds a
// TLS client context and resolves a numeric host, so OpenSSL and the resolver link too.
#include <corio/corio.hpp>

#include <chrono>
#include <cstdio>
#include <string_view>

corio::task<int> work() {
  auto t = corio::spawn([]() -> corio::task<int> {
    co_await corio::sleep_for(std::chrono::milliseconds(1));
    co_return 41;
  }());
  auto r = co_await t;
  auto tls = corio::net::tls_context::client();
  auto addrs = co_await corio::net::resolve("127.0.0.1", 80);
  if (!tls || !addrs || addrs->size() != 1) co_return -1;
  co_return r ? *r + 1 : -1;
}

int main() {
  corio::runtime rt;
  int v = rt.block_on(work());
  std::printf("consumer: backend %.*s (%.*s), result %d\n", static_cast<int>(rt.backend().size()), rt.backend().data(),
              static_cast<int>(rt.backend_reason().size()), rt.backend_reason().data(), v);
  // An auto package chooses per runtime: io_uring, or epoll where io_uring is refused.
  const std::string_view expected = EXPECTED_BACKEND;
  const bool backend_ok = expected == "auto" ? (rt.backend() == "io_uring" || rt.backend() == "epoll")
                                             : rt.backend() == expected;
  return (v == 42 && backend_ok) ? 0 : 1;
}
