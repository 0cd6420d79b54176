// Scale: 1,000 concurrent connections, each exchanging 100 messages with an echo server in
// the same runtime (2,000 descriptors; the limit here is 20,000).
#include "net_support.hpp"

#include <cstring>

using namespace corio_test;
using namespace corio_net_test;

namespace {

constexpr int connections = 1000;
constexpr int messages = 100;
constexpr std::size_t message_size = 64;

task<void> serve(tcp_stream s) {
  std::array<std::byte, message_size> buf;
  for (;;) {
    auto r = co_await s.read_exact(buf);
    if (!r) {
      BOOST_CHECK_MESSAGE(r.error() == corio::errc::end_of_stream, "server read: " << r.error().message());
      co_return;
    }
    auto w = co_await s.write_all(buf);
    BOOST_REQUIRE_MESSAGE(w, "server write: " << describe(w));
  }
}

task<int> accept_all(tcp_listener& l, int n) {
  std::vector<corio::join_handle<void>> conns;
  conns.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto a = co_await l.accept();
    BOOST_REQUIRE_MESSAGE(a, "accept #" << i << ": " << describe(a));
    conns.push_back(corio::spawn(serve(std::move(a->stream))));
  }
  int ok = 0;
  for (auto& c : conns) ok += (co_await c) ? 1 : 0;
  co_return ok;
}

task<int> client(address where, int id) {
  auto s = co_await tcp_stream::connect(where);
  BOOST_REQUIRE_MESSAGE(s, "connect #" << id << ": " << describe(s));
  std::array<std::byte, message_size> out, in;
  int good = 0;
  for (int m = 0; m < messages; ++m) {
    std::memset(out.data(), (id + m) & 0xff, out.size());
    std::memcpy(out.data(), &id, sizeof(id));
    std::memcpy(out.data() + sizeof(id), &m, sizeof(m));
    auto w = co_await s->write_all(out);
    BOOST_REQUIRE_MESSAGE(w, "client write: " << describe(w));
    auto r = co_await s->read_exact(in);
    BOOST_REQUIRE_MESSAGE(r, "client read: " << describe(r));
    if (in == out) ++good;
  }
  co_return good;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(net_many, runtime_fixture)

BOOST_AUTO_TEST_CASE(thousand_connections_hundred_messages_each) {
  auto t0 = std::chrono::steady_clock::now();
  rt.block_on([]() -> task<void> {
    auto l = loopback_listener();
    auto where = *l.local_address();
    auto server = corio::spawn(accept_all(l, connections));
    std::vector<corio::join_handle<int>> clients;
    clients.reserve(connections);
    for (int i = 0; i < connections; ++i) clients.push_back(corio::spawn(client(where, i)));
    long good = 0;
    for (auto& c : clients) {
      auto r = co_await c;
      BOOST_REQUIRE(r);
      good += *r;
    }
    BOOST_CHECK_EQUAL(good, long{connections} * messages);
    auto served = co_await corio::timeout(30s, std::move(server));
    BOOST_REQUIRE(served);
    BOOST_CHECK_EQUAL(*served, connections);
  }());
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("1000 x 100 round trips in " << secs << " s");
  BOOST_CHECK_LT(secs, 60.0);
}

BOOST_AUTO_TEST_SUITE_END()
