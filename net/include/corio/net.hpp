// corio::net: addresses, TCP, UDP and Unix-domain sockets on every driver.
// Included by <corio/corio.hpp>. Every socket is non-blocking and close-on-exec, owned by the
// runtime of the thread that created it; create sockets inside block_on (a running runtime).
// Backends: io_uring issues accept, connect, recv, send, recvmsg, sendmsg, poll (closed()) and
// shutdown natively; epoll and libuv try the system call and park it until readiness on
// EAGAIN. bind, listen, socket options, address queries and UDP connect are synchronous
// system calls everywhere (they never wait).
#pragma once

#include <corio/net/address.hpp>
#include <corio/net/resolve.hpp>
#include <corio/net/tcp.hpp>
#include <corio/net/tls.hpp>
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
