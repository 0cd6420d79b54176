// Unix-domain streams: listener on a path and an abstract name, socketpair, the same stream
// operations as TCP, credentials and error codes.
#include "net_support.hpp"

#include <unistd.h>

using namespace corio_test;
using namespace corio_net_test;

namespace {

/// {client, server} over a Unix listener at `where`.
task<std::pair<unix_stream, unix_stream>> unix_pair_at(address where) {
  auto l = unix_listener::bind(where);
  BOOST_REQUIRE_MESSAGE(l, "bind " << where.to_string() << ": " << describe(l));
  auto c = co_await unix_stream::connect(where);
  BOOST_REQUIRE_MESSAGE(c, "connect: " << describe(c));
  auto a = co_await l->accept();
  BOOST_REQUIRE_MESSAGE(a, "accept: " << describe(a));
  BOOST_CHECK(a->peer.family() == address_family::unix_unnamed);  // the client did not bind
  BOOST_CHECK(*l->local_address() == where);
  co_return std::pair<unix_stream, unix_stream>(std::move(*c), std::move(a->stream));
}

std::string abstract_name() { return "corio-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(net_unix, runtime_fixture)

BOOST_AUTO_TEST_CASE(one_mib_round_trip_over_a_path) {
  temp_dir dir;
  auto where = *address::unix_path(dir.file("echo.sock"));
  rt.block_on([](address where) -> task<void> {
    auto [client, server] = co_await unix_pair_at(where);
    co_await round_trip(std::move(client), std::move(server), 1 << 20, 2);
  }(where));
}

BOOST_AUTO_TEST_CASE(abstract_names_work) {
  rt.block_on([]() -> task<void> {
    auto where = *address::unix_abstract(abstract_name());
    auto [client, server] = co_await unix_pair_at(where);
    BOOST_CHECK(*client.peer_address() == where);
    co_await round_trip(std::move(client), std::move(server), 64 * 1024, 3);
  }());
}

BOOST_AUTO_TEST_CASE(socketpair_round_trip_and_credentials) {
  rt.block_on([]() -> task<void> {
    auto p = unix_stream::pair();
    BOOST_REQUIRE(p);
    auto cred = p->first.credentials();
    BOOST_REQUIRE(cred);
    BOOST_CHECK_EQUAL(cred->pid, ::getpid());
    BOOST_CHECK_EQUAL(cred->uid, ::getuid());
    BOOST_CHECK(p->first.peer_address()->family() == address_family::unix_unnamed);
    co_await round_trip(std::move(p->first), std::move(p->second), 1 << 20, 4);
  }());
}

BOOST_AUTO_TEST_CASE(errors) {
  temp_dir dir;
  auto where = *address::unix_path(dir.file("taken.sock"));
  auto missing = *address::unix_path(dir.file("missing.sock"));
  rt.block_on([](address where, address missing) -> task<void> {
    auto c = co_await unix_stream::connect(missing);
    BOOST_REQUIRE(!c);
    BOOST_CHECK_MESSAGE(c.error() == std::errc::no_such_file_or_directory, c.error().message());
    auto l = unix_listener::bind(where);
    BOOST_REQUIRE(l);
    auto again = unix_listener::bind(where);
    BOOST_REQUIRE(!again);
    BOOST_CHECK_MESSAGE(again.error() == std::errc::address_in_use, again.error().message());
    BOOST_CHECK(co_await l->close());
    c = co_await unix_stream::connect(where);  // the file is still there, nobody listens
    BOOST_REQUIRE(!c);
    BOOST_CHECK_MESSAGE(c.error() == std::errc::connection_refused, c.error().message());
    BOOST_CHECK((co_await unix_stream::connect(address::ipv4_loopback(1))).error() == corio::errc::invalid_argument);
    BOOST_CHECK(unix_listener::bind(address::ipv4_loopback(0)).error() == corio::errc::invalid_argument);
  }(where, missing));
}

BOOST_AUTO_TEST_CASE(connect_to_a_full_backlog_fails_at_once_with_eagain) {
  // The kernel never makes a non-blocking Unix connect wait, and offers no readiness event for
  // "the listener has room": the same EAGAIN on every driver, at once, is the only honest answer.
  rt.block_on([]() -> task<void> {
    auto where = *address::unix_abstract(abstract_name());
    auto l = unix_listener::bind(where, {.backlog = 0});
    BOOST_REQUIRE(l);
    std::vector<unix_stream> queued;
    std::error_code error;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 8 && !error; ++i) {
      auto c = co_await corio::timeout(2s, unix_stream::connect(where));
      if (c) queued.push_back(std::move(*c));
      else error = c.error();
    }
    BOOST_CHECK_MESSAGE(error == std::errc::resource_unavailable_try_again, "full backlog: " << error.message());
    BOOST_CHECK_LT(std::chrono::steady_clock::now() - t0, 1s);
    // Room in the queue lets the next connect through.
    auto a = co_await l->accept();
    BOOST_REQUIRE(a);
    auto c = co_await unix_stream::connect(where);
    BOOST_CHECK_MESSAGE(c, describe(c));
  }());
}

BOOST_AUTO_TEST_CASE(read_after_close_and_write_after_close) {
  rt.block_on([]() -> task<void> {
    auto p = unix_stream::pair();
    BOOST_REQUIRE(p);
    auto [a, b] = std::move(*p);
    BOOST_CHECK(co_await b.close());
    std::array<std::byte, 8> buf;
    auto n = co_await a.read(buf);
    BOOST_CHECK(n && *n == 0);
    auto w = co_await a.write(buf);
    BOOST_REQUIRE(!w);
    BOOST_CHECK_MESSAGE(is_peer_gone(w.error()), w.error().message());
    unix_stream moved = std::move(a);
    BOOST_CHECK((co_await a.read(buf)).error() == corio::errc::closed_handle);
  }());
}

BOOST_AUTO_TEST_CASE(closed_fires_on_an_idle_unix_stream) {
  rt.block_on([]() -> task<void> {
    auto p = unix_stream::pair();
    BOOST_REQUIRE(p);
    auto [a, b] = std::move(*p);
    auto closer = corio::spawn([](unix_stream s) -> task<void> {
      co_await corio::sleep_for(20ms);
      BOOST_CHECK(co_await s.close());
    }(std::move(b)));
    auto t0 = std::chrono::steady_clock::now();
    BOOST_CHECK(co_await corio::timeout(5s, a.closed()));
    BOOST_CHECK_LT(std::chrono::steady_clock::now() - t0, 1s);
    BOOST_CHECK(co_await closer);
  }());
}

BOOST_AUTO_TEST_SUITE_END()
