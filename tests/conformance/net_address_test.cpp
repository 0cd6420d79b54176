// Addresses: parsing, formatting, comparison, and a table of malformed text all rejected.
#include "net_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <set>
#include <sys/un.h>
#include <unordered_set>

using namespace corio_test;
using namespace corio_net_test;

BOOST_AUTO_TEST_SUITE(net_address)

BOOST_AUTO_TEST_CASE(ipv4_parses_and_round_trips) {
  auto a = address::parse("127.0.0.1:8080");
  BOOST_REQUIRE(a);
  BOOST_CHECK(a->family() == address_family::ipv4);
  BOOST_CHECK_EQUAL(a->port(), 8080);
  BOOST_CHECK(a->is_loopback());
  BOOST_CHECK_EQUAL(a->to_string(), "127.0.0.1:8080");
  BOOST_CHECK(*a == address::ipv4_loopback(8080));
  BOOST_CHECK_EQUAL(address::parse("0.0.0.0:0")->to_string(), "0.0.0.0:0");
  BOOST_CHECK_EQUAL(address::parse("255.255.255.255:65535")->port(), 65535);
  BOOST_CHECK_EQUAL(a->with_port(1).port(), 1);
}

BOOST_AUTO_TEST_CASE(ipv6_parses_and_round_trips) {
  auto a = address::parse("[::1]:80");
  BOOST_REQUIRE(a);
  BOOST_CHECK(a->family() == address_family::ipv6);
  BOOST_CHECK_EQUAL(a->port(), 80);
  BOOST_CHECK(a->is_loopback());
  BOOST_CHECK_EQUAL(a->to_string(), "[::1]:80");
  BOOST_CHECK(*a == address::ipv6_loopback(80));
  auto b = address::parse("[2001:db8::a:b]:443");
  BOOST_REQUIRE(b);
  BOOST_CHECK_EQUAL(b->to_string(), "[2001:db8::a:b]:443");
  auto mapped = address::parse("[::ffff:10.0.0.1]:1");
  BOOST_REQUIRE(mapped);
  BOOST_CHECK(*address::parse(mapped->to_string()) == *mapped);
}

BOOST_AUTO_TEST_CASE(ipv6_scope_ids) {
  auto numeric = address::parse("[fe80::1%1]:80");
  BOOST_REQUIRE(numeric);
  auto named = address::parse("[fe80::1%lo]:80");  // lo is interface 1
  BOOST_REQUIRE(named);
  BOOST_CHECK(*numeric == *named);
  BOOST_CHECK(*numeric != *address::parse("[fe80::1]:80"));
  BOOST_CHECK(*address::parse(numeric->to_string()) == *numeric);
}

BOOST_AUTO_TEST_CASE(unix_paths_and_abstract_names) {
  auto p = address::parse("/tmp/corio.sock");
  BOOST_REQUIRE(p);
  BOOST_CHECK(p->family() == address_family::unix_path);
  BOOST_CHECK_EQUAL(p->unix_name(), "/tmp/corio.sock");
  BOOST_CHECK_EQUAL(p->to_string(), "/tmp/corio.sock");
  BOOST_CHECK_EQUAL(p->port(), 0);

  auto rel = address::parse("unix:rel.sock");
  BOOST_REQUIRE(rel);
  BOOST_CHECK_EQUAL(rel->unix_name(), "rel.sock");
  BOOST_CHECK_EQUAL(rel->to_string(), "unix:rel.sock");
  BOOST_CHECK(*address::parse(rel->to_string()) == *rel);
  BOOST_CHECK_EQUAL(address::parse("./x.sock")->unix_name(), "./x.sock");

  auto abs = address::parse("@corio-test");
  BOOST_REQUIRE(abs);
  BOOST_CHECK(abs->family() == address_family::unix_abstract);
  BOOST_CHECK_EQUAL(abs->unix_name(), "corio-test");
  BOOST_CHECK_EQUAL(abs->to_string(), "@corio-test");
  BOOST_CHECK(*abs != *address::parse("/corio-test"));

  // The longest path that fits sun_path with its NUL, and one byte more.
  std::string longest(address::max_unix_path, 'a');
  longest[0] = '/';
  BOOST_CHECK(address::unix_path(longest));
  BOOST_CHECK(address::parse(longest));
  auto too_long = address::parse(longest + "a");
  BOOST_REQUIRE(!too_long);
  BOOST_CHECK(too_long.error() == corio::errc::invalid_argument);
  BOOST_CHECK(!address::unix_abstract(std::string(address::max_unix_path + 1, 'x')));
}

BOOST_AUTO_TEST_CASE(malformed_text_is_rejected) {
  const std::vector<std::string> bad = {
      "",                          // empty
      "127.0.0.1",                 // no port
      "127.0.0.1:",                // empty port
      "127.0.0.1:65536",           // port out of range
      "127.0.0.1:99999",           // port out of range
      "127.0.0.1:123456",          // too many digits
      "127.0.0.1:-1",              // sign
      "127.0.0.1:+80",             // sign
      "127.0.0.1:8o",              // letter in port
      "127.0.0.1:0x50",            // hex port
      "127.0.0.1: 80",             // space
      " 127.0.0.1:80",             // leading space
      "127.0.0.1:80 ",             // trailing space
      "256.0.0.1:80",              // octet out of range
      "1.2.3:80",                  // three octets
      "1.2.3.4.5:80",              // five octets
      "01.2.3.4:80",               // leading zero (octal ambiguity)
      "localhost:80",              // host names are not resolved
      ":80",                       // no host
      "::1:80",                    // IPv6 without brackets
      "[::1]",                     // IPv6 without port
      "[::1]:",                    // empty port
      "[::1:80",                   // missing ]
      "[::1]80",                   // missing :
      "[::1]:70000",               // port out of range
      "[:::1]:80",                 // bad IPv6
      "[]:80",                     // empty IPv6
      "[1.2.3.4]:80",              // IPv4 in brackets
      "[fe80::1%]:80",             // empty scope
      "[fe80::1%no-such-if0]:80",  // unknown interface
      "unix:",                     // empty path
      "@",                         // empty abstract name
      std::string("/tmp/a\0b", 8), // embedded NUL
      "/" + std::string(200, 'p'), // path too long
  };
  BOOST_CHECK_GE(bad.size(), 20u);
  for (const auto& text : bad) {
    auto a = address::parse(text);
    BOOST_CHECK_MESSAGE(!a, "accepted malformed address '" << text << "'");
    if (!a) BOOST_CHECK_MESSAGE(a.error() == corio::errc::invalid_argument, text << ": " << a.error().message());
  }
}

BOOST_AUTO_TEST_CASE(from_sockaddr_checks_lengths) {
  ::sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(9);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto a = address::from_sockaddr(reinterpret_cast<::sockaddr*>(&in), sizeof(in));
  BOOST_REQUIRE(a);
  BOOST_CHECK_EQUAL(a->to_string(), "127.0.0.1:9");
  BOOST_CHECK(!address::from_sockaddr(reinterpret_cast<::sockaddr*>(&in), sizeof(in) - 1));
  BOOST_CHECK(!address::from_sockaddr(nullptr, 0));
  ::sockaddr_un un{};
  un.sun_family = AF_UNIX;
  auto unnamed = address::from_sockaddr(reinterpret_cast<::sockaddr*>(&un), sizeof(sa_family_t));
  BOOST_REQUIRE(unnamed);
  BOOST_CHECK(unnamed->family() == address_family::unix_unnamed);
  in.sin_family = AF_PACKET;
  BOOST_CHECK(!address::from_sockaddr(reinterpret_cast<::sockaddr*>(&in), sizeof(in)));
}

BOOST_AUTO_TEST_CASE(ordering_and_hashing) {
  std::set<address> ordered;
  std::unordered_set<address> hashed;
  for (const char* t : {"10.0.0.2:1", "10.0.0.1:2", "10.0.0.1:1", "[::1]:1", "/a", "@a", "10.0.0.1:1"}) {
    ordered.insert(*address::parse(t));
    hashed.insert(*address::parse(t));
  }
  BOOST_CHECK_EQUAL(ordered.size(), 6u);
  BOOST_CHECK_EQUAL(hashed.size(), 6u);
  BOOST_CHECK_EQUAL(ordered.begin()->to_string(), "10.0.0.1:1");
  BOOST_CHECK(*address::parse("10.0.0.1:1") < *address::parse("10.0.0.1:2"));
  BOOST_CHECK(*address::parse("10.0.0.1:2") < *address::parse("10.0.0.2:1"));
  BOOST_CHECK(address() == address());
  BOOST_CHECK_EQUAL(address().to_string(), "(none)");
}

BOOST_AUTO_TEST_SUITE_END()
