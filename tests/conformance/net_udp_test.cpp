// UDP: send_to/recv_from round trips with addresses, truncation reported, connected sockets.
#include "net_support.hpp"

using namespace corio_test;
using namespace corio_net_test;

namespace {
udp_socket bound_udp(const address& where = address::ipv4_loopback(0)) {
  auto s = udp_socket::bind(where);
  BOOST_REQUIRE_MESSAGE(s, "udp bind " << where.to_string() << ": " << describe(s));
  return std::move(*s);
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(net_udp, runtime_fixture)

BOOST_AUTO_TEST_CASE(round_trip_with_addresses) {
  rt.block_on([]() -> task<void> {
    auto server = bound_udp();
    auto client = bound_udp();
    auto server_addr = *server.local_address();
    auto client_addr = *client.local_address();
    auto payload = random_bytes(1200, 5);
    auto sent = co_await client.send_to(payload, server_addr);
    BOOST_REQUIRE_MESSAGE(sent, describe(sent));
    BOOST_CHECK_EQUAL(*sent, payload.size());

    std::vector<std::byte> buf(2048);
    auto d = co_await corio::timeout(5s, server.recv_from(buf));
    BOOST_REQUIRE_MESSAGE(d, describe(d));
    BOOST_CHECK_EQUAL(d->size, payload.size());
    BOOST_CHECK(!d->truncated);
    BOOST_CHECK_MESSAGE(d->from == client_addr, d->from.to_string() << " vs " << client_addr.to_string());
    BOOST_CHECK_EQUAL(checksum(std::span(buf).first(d->size)), checksum(payload));

    // Echo it back to the address it came from.
    BOOST_REQUIRE(co_await server.send_to(std::span(buf).first(d->size), d->from));
    auto back = co_await corio::timeout(5s, client.recv_from(buf));
    BOOST_REQUIRE(back);
    BOOST_CHECK(back->from == server_addr);
    BOOST_CHECK_EQUAL(checksum(std::span(buf).first(back->size)), checksum(payload));
  }());
}

BOOST_AUTO_TEST_CASE(truncated_datagrams_are_reported) {
  rt.block_on([]() -> task<void> {
    auto server = bound_udp();
    auto client = bound_udp();
    auto payload = random_bytes(1000, 6);
    BOOST_REQUIRE(co_await client.send_to(payload, *server.local_address()));
    BOOST_REQUIRE(co_await client.send_to(std::span(payload).first(10), *server.local_address()));
    std::vector<std::byte> small(100);
    auto d = co_await corio::timeout(5s, server.recv_from(small));
    BOOST_REQUIRE(d);
    BOOST_CHECK(d->truncated);
    BOOST_CHECK_EQUAL(d->size, small.size());
    BOOST_CHECK(std::equal(small.begin(), small.end(), payload.begin()));
    // The rest of that datagram is gone; the next receive gets the next datagram, whole.
    auto next = co_await corio::timeout(5s, server.recv_from(small));
    BOOST_REQUIRE(next);
    BOOST_CHECK(!next->truncated);
    BOOST_CHECK_EQUAL(next->size, 10u);
  }());
}

BOOST_AUTO_TEST_CASE(connected_send_and_recv) {
  rt.block_on([]() -> task<void> {
    auto a = bound_udp();
    auto b = bound_udp();
    BOOST_REQUIRE(a.connect(*b.local_address()));
    BOOST_REQUIRE(b.connect(*a.local_address()));
    BOOST_CHECK(*a.peer_address() == *b.local_address());
    BOOST_REQUIRE(co_await a.send(bytes("ping")));
    std::array<std::byte, 16> buf;
    auto d = co_await corio::timeout(5s, b.recv(buf));
    BOOST_REQUIRE(d);
    BOOST_CHECK_EQUAL(text(std::span(buf).first(d->size)), "ping");
    BOOST_REQUIRE(co_await b.send(bytes("pong")));
    d = co_await corio::timeout(5s, a.recv(buf));
    BOOST_REQUIRE(d);
    BOOST_CHECK_EQUAL(text(std::span(buf).first(d->size)), "pong");
  }());
}

BOOST_AUTO_TEST_CASE(timeout_and_errors) {
  rt.block_on([]() -> task<void> {
    auto s = bound_udp();
    std::array<std::byte, 16> buf;
    auto d = co_await corio::timeout(30ms, s.recv_from(buf));
    BOOST_REQUIRE(!d);
    BOOST_CHECK(d.error() == corio::errc::timed_out);
    // Sending on an unconnected socket without an address.
    auto e = co_await s.send(bytes("x"));
    BOOST_REQUIRE(!e);
    BOOST_CHECK_MESSAGE(e.error() == std::errc::destination_address_required, e.error().message());
    BOOST_CHECK((co_await s.send_to(bytes("x"), *address::parse("/tmp/x"))).error() == corio::errc::invalid_argument);
    std::vector<std::byte> huge(70'000);
    auto big = co_await s.send_to(huge, *s.local_address());
    BOOST_REQUIRE(!big);
    BOOST_CHECK_MESSAGE(big.error() == std::errc::message_size, big.error().message());
    BOOST_CHECK(udp_socket::bind(*address::parse("/tmp/x")).error() == corio::errc::invalid_argument);
    udp_socket moved = std::move(s);
    BOOST_CHECK((co_await s.recv_from(buf)).error() == corio::errc::closed_handle);
    BOOST_CHECK((co_await s.send_to(buf, address::ipv4_loopback(9))).error() == corio::errc::closed_handle);
    BOOST_CHECK(s.connect(address::ipv4_loopback(9)).error() == corio::errc::closed_handle);
  }());
}

BOOST_AUTO_TEST_SUITE_END()
