// IPv6 loopback: TCP and UDP over [::1] (skipped with a reason where ::1 is unavailable).
#include "net_support.hpp"

using namespace corio_test;
using namespace corio_net_test;

namespace {
/// True if a socket can bind [::1]; otherwise prints why the test is skipped.
bool ipv6_available(corio::runtime& rt) {
  bool ok = rt.block_on([]() -> task<bool> { co_return bool(tcp_listener::bind(address::ipv6_loopback(0))); }());
  if (!ok) skip(rt, "cannot bind [::1] (IPv6 loopback unavailable here)");
  return ok;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(net_ipv6, runtime_fixture)

BOOST_AUTO_TEST_CASE(tcp_over_ipv6_loopback) {
  if (!ipv6_available(rt)) return;
  rt.block_on([]() -> task<void> {
    auto [client, server] = co_await tcp_pair(*address::parse("[::1]:0"));
    BOOST_CHECK(client.peer_address()->family() == address_family::ipv6);
    BOOST_CHECK_EQUAL(client.local_address()->to_string().substr(0, 6), "[::1]:");
    co_await round_trip(std::move(client), std::move(server), 256 * 1024, 7);
  }());
}

BOOST_AUTO_TEST_CASE(udp_over_ipv6_loopback) {
  if (!ipv6_available(rt)) return;
  rt.block_on([]() -> task<void> {
    auto a = udp_socket::bind(address::ipv6_loopback(0));
    auto b = udp_socket::bind(address::ipv6_loopback(0));
    BOOST_REQUIRE(a && b);
    BOOST_REQUIRE(co_await a->send_to(bytes("six"), *b->local_address()));
    std::array<std::byte, 8> buf;
    auto d = co_await corio::timeout(5s, b->recv_from(buf));
    BOOST_REQUIRE(d);
    BOOST_CHECK_EQUAL(text(std::span(buf).first(d->size)), "six");
    BOOST_CHECK(d->from == *a->local_address());
  }());
}

BOOST_AUTO_TEST_CASE(connect_refused_on_ipv6) {
  if (!ipv6_available(rt)) return;
  rt.block_on([]() -> task<void> {
    auto l = tcp_listener::bind(address::ipv6_loopback(0));
    BOOST_REQUIRE(l);
    auto where = *l->local_address();
    BOOST_CHECK(co_await l->close());
    auto c = co_await tcp_stream::connect(where);
    BOOST_REQUIRE(!c);
    BOOST_CHECK(c.error() == std::errc::connection_refused);
  }());
}

BOOST_AUTO_TEST_SUITE_END()
