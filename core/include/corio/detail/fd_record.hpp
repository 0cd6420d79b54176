// The shared descriptor record behind every handle (sockets, files, listeners, halves).
// Reference counted by its owners, within one runtime, not thread-safe. When the last owner
// lets go, the runtime cancels the operations still in flight on it and, once they have all
// completed, closes it (see core/src/fd_table.cpp).
#pragma once

#include <corio/detail/ops.hpp>

#include <cstdint>

namespace corio::detail {

/// What a descriptor is, as far as drivers care. stream_socket: a TCP or Unix byte stream, where
/// a read shorter than asked means the receive queue was empty (readiness drivers then wait
/// for the next edge instead of trying a read that would say EAGAIN).
enum class fd_kind : std::uint8_t { socket, stream_socket, file, other };

struct fd_record {
  int fd = -1;
  fd_kind kind = fd_kind::other;
  std::uint32_t owners = 0;
  std::uint32_t in_flight = 0;  ///< operations in flight on this descriptor
  /// Those of them the driver cannot cancel by descriptor (driver cancels_by_fd): io_uring
  /// before 5.19, and pool operations (files) on epoll and libuv.
  op_base* ops = nullptr;
  runtime_state* rt = nullptr;  ///< null once the runtime is gone: the last owner closes synchronously
  void* driver_state = nullptr; ///< per-descriptor state of epoll / libuv (null for io_uring)
  bool close_queued = false;    ///< no owners left; close issued (or waiting for in_flight == 0)
  close_op closer;              ///< the close itself, embedded: closing allocates nothing
  ready_node* close_waiter = nullptr;  ///< an explicit close() waiting for the result
  int* close_result = nullptr;
  fd_record* live_prev = nullptr;  ///< the runtime's list of live records
  fd_record* live_next = nullptr;
};

inline int op_fd(const op_base& op) noexcept { return op.fd ? op.fd->fd : -1; }

}  // namespace corio::detail
