// corio::buffer_pool: receive buffers shared by many connections, handed to a read only once
// data has arrived. A connection that waits for data with `co_await s.read_pooled(pool)` holds
// no buffer at all; the one it gets back (a pooled_buffer, a lease) returns to the pool when
// dropped. This is what lets a server keep many idle connections in little memory.
#pragma once

#include <corio/detail/pool_state.hpp>
#include <corio/detail/scheduler.hpp>
#include <corio/result.hpp>

#include <cstddef>
#include <span>
#include <utility>

namespace corio {

namespace detail {
class read_pooled_awaiter;
}

/// A leased pool buffer holding the bytes of one pooled read: bytes() is what arrived, of at
/// most the pool's buffer size. Move-only; dropping it (or reset()) gives the buffer back to its
/// pool, on the pool's runtime thread. An empty lease (size() == 0) is what read_pooled returns
/// at the end of the stream; it holds no buffer. A lease keeps its pool's memory alive, even
/// past the pool handle and the runtime.
class pooled_buffer {
 public:
  pooled_buffer() noexcept = default;
  pooled_buffer(pooled_buffer&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)), id_(std::exchange(o.id_, detail::no_buffer)), size_(std::exchange(o.size_, 0)) {}
  pooled_buffer& operator=(pooled_buffer&& o) noexcept {
    if (this != &o) {
      reset();
      pool_ = std::exchange(o.pool_, nullptr);
      id_ = std::exchange(o.id_, detail::no_buffer);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~pooled_buffer() { reset(); }

  std::byte* data() const noexcept { return pool_ ? pool_->data(id_) : nullptr; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// The bytes received (writable: a server may transform them in place before sending).
  std::span<std::byte> bytes() const noexcept { return {data(), size_}; }

  /// Gives the buffer back now.
  void reset() noexcept {
    if (detail::pool_state* p = std::exchange(pool_, nullptr)) {
      p->release(std::exchange(id_, detail::no_buffer));
      p->drop();
    }
    size_ = 0;
  }

 private:
  friend class detail::read_pooled_awaiter;
  pooled_buffer(detail::pool_state* p, detail::buffer_id id, std::size_t n) noexcept : pool_(p), id_(id), size_(n) {
    p->retain();
  }

  detail::pool_state* pool_ = nullptr;
  detail::buffer_id id_ = detail::no_buffer;
  std::size_t size_ = 0;
};

/// `count` buffers of `buffer_size` bytes, owned by the runtime it is created on, for the
/// pooled reads of any number of its streams (`read_pooled`). Several pools may coexist (say,
/// small buffers for a chatty protocol, large ones for bulk transfers). An empty pool is
/// back-pressure: a read that has data waiting and finds no free buffer waits, first come first
/// served, until a lease comes back — never an error, never a closed connection. Memory is
/// reserved once (count × buffer_size, touched as buffers are first used). Move-only handle;
/// reads in flight and leases keep the pool alive after it is dropped.
class buffer_pool {
 public:
  /// The largest count and buffer size: buffer ids are 16 bits, as io_uring's provided
  /// buffers are, and a receive's length fits an int.
  static constexpr std::size_t max_count = 32768;
  static constexpr std::size_t max_buffer_size = std::size_t{1} << 30;

  /// A pool on the running runtime. errc::invalid_argument for a count or buffer size of 0 or
  /// above the maximum; ENOMEM when count × buffer_size cannot be reserved; errc::no_runtime
  /// outside a runtime's thread.
  static result<buffer_pool> create(std::size_t count, std::size_t buffer_size);

  buffer_pool(buffer_pool&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
  buffer_pool& operator=(buffer_pool&& o) noexcept {
    if (this != &o) {
      if (st_) st_->drop();
      st_ = std::exchange(o.st_, nullptr);
    }
    return *this;
  }
  ~buffer_pool() {
    if (st_) st_->drop();
  }

  std::size_t count() const noexcept { return st_ ? st_->count : 0; }
  std::size_t buffer_size() const noexcept { return st_ ? st_->size : 0; }
  /// Buffers neither leased nor reserved for a waiting read, now.
  std::size_t available() const noexcept { return st_ ? st_->free_count : 0; }
  /// True when the kernel itself picks a free buffer for each read as data arrives (io_uring's
  /// provided buffer rings, kernels since 5.19; CORIO_URING_NO_BUF_RING=1 turns them off).
  /// Otherwise a read waits for readiness, then receives into a buffer the driver takes from
  /// the pool (epoll, libuv, older kernels): the same API and the same memory behaviour.
  bool kernel_managed() const noexcept { return st_ && st_->native; }

  detail::pool_state* state() const noexcept { return st_; }  ///< (for read_pooled)

 private:
  explicit buffer_pool(detail::pool_state* s) noexcept : st_(s) {}
  detail::pool_state* st_ = nullptr;
};

namespace detail {

/// read_pooled's awaiter: one recv_pooled_op in the awaiting frame, nothing allocated. Holds a
/// reference to the pool from creation to destruction; a buffer the read got but nobody took
/// (the frame unwound by a cancel) goes back to the pool with it.
class [[nodiscard]] read_pooled_awaiter {
 public:
  read_pooled_awaiter(fd_record* fd, pool_state* pool) noexcept {
    op.fd = fd;
    op.pool = pool;
    if (pool) pool->retain();
    if (!fd) {
      fail_now(errc::closed_handle);
    } else if (!pool) {
      fail_now(errc::invalid_argument);  // an empty (moved-from) buffer_pool
    }
  }
  /// Movable before it is awaited (timeout() and when_any() take awaitables by value).
  read_pooled_awaiter(read_pooled_awaiter&& o) noexcept : op(o.op) {
    o.op.pool = nullptr;
    o.op.buf = no_buffer;
  }
  read_pooled_awaiter& operator=(read_pooled_awaiter&&) = delete;
  ~read_pooled_awaiter() {
    if (!op.pool) return;
    if (op.buf != no_buffer) op.pool->release(op.buf);
    op.pool->drop();
  }

  bool await_ready() const noexcept { return op.state == op_state::done; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    if (op.pool->rt != tls_runtime) [[unlikely]] {  // a pool serves its own runtime's streams
      fail_now(!tls_runtime ? errc::no_runtime : op.pool->rt ? errc::wrong_runtime : errc::runtime_gone);
      return false;
    }
    return start_op(op, h);
  }
  result<pooled_buffer> await_resume() noexcept {
    const int res = op.result;
    if (res > 0) return pooled_buffer(op.pool, std::exchange(op.buf, no_buffer), static_cast<std::size_t>(res));
    if (op.buf != no_buffer) op.pool->release(std::exchange(op.buf, no_buffer));  // reserved, unused
    if (res == 0) return pooled_buffer{};  // end of stream
    return tl::unexpected(op_error(res));
  }

  recv_pooled_op op;

 private:
  void fail_now(errc e) noexcept {
    op.result = errc_result(e);
    op.state = op_state::done;
  }
};

}  // namespace detail

}  // namespace corio
