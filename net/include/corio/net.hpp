// corio::net: addresses, TCP, UDP and Unix-domain sockets on every driver.
// Included by <corio/corio.hpp>.
#pragma once

#include <corio/net/address.hpp>
#include <corio/net/tcp.hpp>
#include <corio/net/udp.hpp>
#include <corio/net/unix.hpp>
#include <corio/split.hpp>
#include <corio/stream.hpp>

namespace corio::net {
// The generic stream vocabulary, also reachable as corio::net::... (names used in DESIGN.md).
using corio::close_outcome;
using corio::read_half;
using corio::reunite;
using corio::reunite_error;
using corio::shutdown_how;
using corio::split;
using corio::write_half;
}  // namespace corio::net
