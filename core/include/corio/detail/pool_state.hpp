// The state behind a corio::buffer_pool: its memory, its free buffers and the pooled reads
// waiting for one. Backend-free: the drivers take and put back buffers here while they perform
// a pooled receive; the core hands returned buffers to waiting reads (core/src/buffer_pool.cpp).
// One runtime's thread only; reference counted by the pool handle, each lease and each read in
// flight, so that no buffer's memory goes away while anyone can still touch it.
#pragma once

#include <corio/detail/ops.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace corio::detail {

class runtime_state;

/// A buffer's index in its pool; no_buffer when a read holds none.
using buffer_id = std::uint16_t;
inline constexpr buffer_id no_buffer = 0xffff;

/// A receive into a buffer the pool picks when data has arrived (op_kind::recv_pooled). On
/// success result is the byte count and buf the buffer holding them (no_buffer for 0, the end
/// of stream). -ENOBUFS from a driver means "data is waiting but the pool is empty": the core
/// then parks the read on its pool (op_mark::pool_wait) until a buffer comes back, and submits
/// it again with that buffer reserved (buf already set).
struct recv_pooled_op : op_base {
  recv_pooled_op() noexcept : op_base(op_kind::recv_pooled) { marks = op_mark::pooled; }
  struct pool_state* pool = nullptr;
  buffer_id buf = no_buffer;
  std::uint8_t stage = 0;  ///< the driver's, while in flight (io_uring: which SQE it is in)
  // While parked on its pool the read is in no driver: the pool's queue links it through
  // drv_prev / drv_next.
};

struct pool_state {
  pool_state(std::size_t count, std::size_t size);
  pool_state(const pool_state&) = delete;
  pool_state& operator=(const pool_state&) = delete;
  ~pool_state();

  std::byte* data(buffer_id id) const noexcept { return memory.get() + static_cast<std::size_t>(id) * size; }

  /// A free buffer, or no_buffer when every one is leased or reserved — or when the free ones
  /// are the driver's (native): the kernel picks them then.
  buffer_id take() noexcept { return native || free_count == 0 ? no_buffer : free_ids[--free_count]; }
  /// Puts back a buffer take() gave out a moment ago and nobody saw (the receive would have
  /// blocked): no waiter can exist while one was free, so none is woken.
  void untake(buffer_id id) noexcept { free_ids[free_count++] = id; }
  /// A leased buffer comes back: to the first waiting read if there is one, else to the free
  /// buffers (core/src/buffer_pool.cpp).
  void release(buffer_id id) noexcept;

  void retain() noexcept { ++refs; }
  void drop() noexcept {
    if (--refs == 0) delete this;
  }

  const std::size_t count;
  const std::size_t size;
  std::unique_ptr<std::byte[]> memory;
  std::unique_ptr<buffer_id[]> free_ids;  ///< a stack: the most recently used buffer goes out first
  std::size_t free_count = 0;  ///< free buffers, on the stack or (native) in the driver's ring
  std::size_t refs = 1;
  runtime_state* rt = nullptr;  ///< null once its runtime is gone (buffers then only go back)
  /// The driver holds the free buffers (io_uring: a provided buffer ring, group `group`,
  /// mapped at `ring` with ring_entries slots); the stack is unused meanwhile.
  bool native = false;
  std::uint16_t group = 0;
  void* ring = nullptr;
  std::size_t ring_entries = 0;
  op_base* waiters_head = nullptr;  ///< FIFO of reads parked for a buffer (op_mark::pool_wait)
  op_base* waiters_tail = nullptr;
  pool_state* live_prev = nullptr;  ///< its runtime's list of pools
  pool_state* live_next = nullptr;
};

}  // namespace corio::detail
