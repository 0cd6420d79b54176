// Name resolution: /etc/hosts names, numeric hosts, service names, names that cannot resolve,
// cancellation (no leak: ASan's leak check runs on this executable), connect by host name.
#include "net_support.hpp"

#include <netdb.h>

using namespace corio_test;
using namespace corio_net_test;

namespace {

bool contains(const std::vector<address>& v, const address& a) {
  return std::find(v.begin(), v.end(), a) != v.end();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(net_resolve, runtime_fixture)

BOOST_AUTO_TEST_CASE(localhost_from_etc_hosts) {
  rt.block_on([]() -> task<void> {
    auto r = co_await resolve("localhost", 8080);
    BOOST_REQUIRE_MESSAGE(r, "resolve localhost: " << describe(r));
    BOOST_REQUIRE(!r->empty());
    for (const auto& a : *r) {
      BOOST_CHECK_MESSAGE(a.is_loopback(), a.to_string() << " is not a loopback address");
      BOOST_CHECK_EQUAL(a.port(), 8080);
    }
    BOOST_CHECK(contains(*r, address::ipv4_loopback(8080)) || contains(*r, address::ipv6_loopback(8080)));
  }());
}

BOOST_AUTO_TEST_CASE(numeric_hosts_and_families) {
  rt.block_on([]() -> task<void> {
    auto v4 = co_await resolve("127.0.0.1", "80");
    BOOST_REQUIRE_MESSAGE(v4, describe(v4));
    BOOST_REQUIRE_EQUAL(v4->size(), 1u);
    BOOST_CHECK((*v4)[0] == address::ipv4_loopback(80));

    auto v6 = co_await resolve("::1", 443);
    BOOST_REQUIRE_MESSAGE(v6, describe(v6));
    BOOST_REQUIRE_EQUAL(v6->size(), 1u);
    BOOST_CHECK((*v6)[0] == address::ipv6_loopback(443));

    // Asking for IPv4 only: an IPv6 literal has no IPv4 address.
    auto only4 = co_await resolve("::1", 443, {.family = address_family::ipv4});
    BOOST_CHECK(!only4);
    auto only6 = co_await resolve("::1", 443, {.family = address_family::ipv6});
    BOOST_CHECK(only6 && only6->size() == 1 && (*only6)[0].family() == address_family::ipv6);
  }());
}

BOOST_AUTO_TEST_CASE(service_names) {
  rt.block_on([]() -> task<void> {
    auto http = co_await resolve("127.0.0.1", "http");
    BOOST_REQUIRE_MESSAGE(http, "service http: " << describe(http));
    BOOST_CHECK_EQUAL(http->front().port(), 80);
    auto dns = co_await resolve("127.0.0.1", "domain", {.datagram = true});
    BOOST_REQUIRE_MESSAGE(dns, "service domain/udp: " << describe(dns));
    BOOST_CHECK_EQUAL(dns->front().port(), 53);
    auto bad = co_await resolve("127.0.0.1", "no-such-service-corio");
    BOOST_REQUIRE(!bad);
    BOOST_CHECK(bad.error().category() == resolve_error_category());
    BOOST_CHECK_EQUAL(bad.error().value(), EAI_SERVICE);
  }());
}

BOOST_AUTO_TEST_CASE(a_name_that_cannot_resolve_says_so) {
  rt.block_on([]() -> task<void> {
    auto r = co_await resolve("nosuchhost.invalid", 80);
    BOOST_REQUIRE(!r);
    const auto& e = r.error();
    BOOST_CHECK(e.category() == resolve_error_category());
    BOOST_CHECK_EQUAL(std::string(e.category().name()), "resolve");
    // No network beyond this machine: the resolver answers "does not exist", or at worst that
    // it could not ask (a sandbox's unreachable DNS server).
    BOOST_CHECK_MESSAGE(e.value() == EAI_NONAME || e.value() == EAI_NODATA || e.value() == EAI_AGAIN,
                        "unexpected: " << e.value() << " " << e.message());
    BOOST_CHECK_EQUAL(e.message(), std::string(::gai_strerror(e.value())));
    if (e.value() == EAI_NONAME) BOOST_CHECK_EQUAL(e.message(), "Name or service not known");

    auto empty = co_await resolve("", 80);
    BOOST_REQUIRE(!empty);
    BOOST_CHECK(empty.error() == corio::errc::invalid_argument);
  }());
}

// Tiny deadlines, varied so that cancels land before, during and after the pool thread's
// getaddrinfo: whatever the outcome, no crash and nothing leaked (ASan checks the lists).
BOOST_AUTO_TEST_CASE(cancelled_by_timeouts_in_a_loop) {
  rt.block_on([]() -> task<void> {
    int ok = 0, timed_out = 0;
    for (int i = 0; i < 300; ++i) {
      auto r = co_await corio::timeout(std::chrono::microseconds(i % 60), resolve("localhost", 80));
      if (r) {
        ++ok;
        BOOST_CHECK(!r->empty());
      } else {
        BOOST_CHECK_MESSAGE(r.error() == corio::errc::timed_out, r.error().message());
        ++timed_out;
      }
    }
    BOOST_TEST_MESSAGE("resolve under timeouts: " << ok << " completed, " << timed_out << " timed out");
    BOOST_CHECK_EQUAL(ok + timed_out, 300);
  }());
}

// A cancelled spawned task never receives what its lookup produced: the core frees it.
BOOST_AUTO_TEST_CASE(cancelled_tasks_and_shutdown_with_lookups_in_flight) {
  rt.block_on([]() -> task<void> {
    for (int i = 0; i < 100; ++i) {
      auto h = corio::spawn(resolve("localhost", "http"));
      if (i % 3 == 1) co_await corio::yield_now();
      if (i % 3 == 2) co_await corio::sleep_for(std::chrono::microseconds(i));
      h.cancel();
      auto r = co_await h;
      BOOST_CHECK(!r || *r);  // cancelled, or it had finished: either way a value or an error
    }
    // Left running when the runtime shuts down: drained, their lists freed.
    for (int i = 0; i < 20; ++i) corio::spawn(resolve("localhost", 80)).detach();
  }());
}

BOOST_AUTO_TEST_CASE(connect_by_host_name) {
  rt.block_on([]() -> task<void> {
    auto l = loopback_listener();
    const auto port = l.local_address()->port();
    auto c = co_await tcp_stream::connect("localhost", port);
    BOOST_REQUIRE_MESSAGE(c, "connect localhost: " << describe(c));
    auto a = co_await l.accept();
    BOOST_REQUIRE(a);
    BOOST_CHECK(co_await c->write_all(bytes("hi")));
    std::array<std::byte, 2> buf;
    BOOST_CHECK(co_await a->stream.read_exact(buf));
    BOOST_CHECK_EQUAL(text(buf), "hi");

    auto nowhere = co_await tcp_stream::connect("nosuchhost.invalid", port);
    BOOST_REQUIRE(!nowhere);
    BOOST_CHECK(nowhere.error().category() == resolve_error_category());
  }());
}

BOOST_AUTO_TEST_SUITE_END()
