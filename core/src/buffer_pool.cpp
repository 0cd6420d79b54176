// Buffer pools: their memory, and the reads parked on a pool until one of its buffers comes
// back. The drivers take buffers from a pool while they perform a pooled receive; when one finds
// data waiting and the pool empty it reports -ENOBUFS, and the core parks the read here (in
// flight, in no driver) instead of resuming its waiter: an empty pool is back-pressure, never
// an error. A returned buffer goes straight to the first parked read, which is submitted again
// with it reserved.
#include <corio/buffer_pool.hpp>

#include "core/src/runtime_state.hpp"

#include <cerrno>
#include <new>

namespace corio {

result<buffer_pool> buffer_pool::create(std::size_t count, std::size_t buffer_size) {
  detail::runtime_state* rt = detail::tls_runtime;
  if (!rt) return fail(errc::no_runtime);
  if (count == 0 || count > max_count || buffer_size == 0 || buffer_size > max_buffer_size) {
    return fail(errc::invalid_argument);
  }
  detail::pool_state* st;
  try {
    st = new detail::pool_state(count, buffer_size);
  } catch (const std::bad_alloc&) {  // count x size is more than this process may map
    return fail_errno(ENOMEM);
  }
  rt->adopt_pool(*st);
  return buffer_pool(st);
}

}  // namespace corio

namespace corio::detail {

pool_state::pool_state(std::size_t n, std::size_t bytes)
    // Default-initialised, not zeroed: a buffer's pages are touched only when it is first used.
    : count(n), size(bytes), memory(new std::byte[n * bytes]), free_ids(new buffer_id[n]) {
  // The stack hands out buffer 0 first, then 1...: a lightly used pool touches few pages.
  for (std::size_t i = 0; i < n; ++i) free_ids[i] = static_cast<buffer_id>(n - 1 - i);
  free_count = n;
}

pool_state::~pool_state() {
  if (rt) rt->forget_pool(*this);
}

void pool_state::release(buffer_id id) noexcept {
  if (waiters_head && rt) {
    op_base* op = waiters_head;
    waiters_head = op->drv_next;
    (waiters_head ? waiters_head->drv_prev : waiters_tail) = nullptr;
    op->drv_next = op->drv_prev = nullptr;
    rt->hand_buffer(static_cast<recv_pooled_op&>(*op), id);
    return;
  }
  if (native && rt) return rt->give_back_buffer(*this, id);
  free_ids[free_count++] = id;
}

// ---- runtime_state members ----

void runtime_state::adopt_pool(pool_state& p) noexcept {
  p.rt = this;
  p.live_next = pools_;
  if (pools_) pools_->live_prev = &p;
  pools_ = &p;
  attach_pool(driver_, p);
}

void runtime_state::give_back_buffer(pool_state& p, buffer_id id) noexcept { give_back(driver_, p, id); }

void runtime_state::forget_pool(pool_state& p) noexcept {
  if (p.native) {
    detach_pool(driver_, p);
    // The buffers the driver held are free again; those still leased come back one by one.
    p.native = false;
    p.free_count = 0;
  }
  (p.live_prev ? p.live_prev->live_next : pools_) = p.live_next;
  if (p.live_next) p.live_next->live_prev = p.live_prev;
  p.live_prev = p.live_next = nullptr;
  p.rt = nullptr;
}

void runtime_state::detach_all_pools() noexcept {
  // Pools kept alive by leases past the runtime: their buffers now only go back.
  while (pools_) forget_pool(*pools_);
}

bool runtime_state::park_for_buffer(op_base& op, bool booked) noexcept {
  auto& read = static_cast<recv_pooled_op&>(op);
  fd_record& r = *op.fd;
  if (shutting_down_ || r.close_queued || (op.ctx && op.ctx->cancel_requested)) {
    op.result = -ECANCELED;  // going away: the data stays in the socket
    return false;
  }
  if (booked) {  // back in flight (on_completed has counted it completed)
    op.state = op_state::in_flight;
    ++stats_.ops_submitted;
  } else {
    book_submit(op);  // finished inside submit: booked only now
  }
  // The descriptor's close must find it, and it is in no driver: listed whatever the driver.
  if (!(op.marks & op_mark::listed)) list_on_fd(op, r);
  pool_state& pool = *read.pool;
  if (pool.native && pool.free_count > 0) {  // one came back meanwhile: the kernel picks it
    driver_.submit(op);
    return true;
  }
  if (const buffer_id id = pool.take(); id != no_buffer) {  // one came back meanwhile
    hand_buffer(read, id);
    return true;
  }
  op.marks |= op_mark::pool_wait;
  op.drv_next = nullptr;
  op.drv_prev = pool.waiters_tail;
  (pool.waiters_tail ? pool.waiters_tail->drv_next : pool.waiters_head) = &op;
  pool.waiters_tail = &op;
  return true;
}

void runtime_state::hand_buffer(recv_pooled_op& op, buffer_id id) noexcept {
  op.marks &= static_cast<std::uint8_t>(~op_mark::pool_wait);
  op.buf = id;
  driver_.submit(op);
}

void runtime_state::cancel_buffer_wait(op_base& op) noexcept {
  pool_state& pool = *static_cast<recv_pooled_op&>(op).pool;
  (op.drv_prev ? op.drv_prev->drv_next : pool.waiters_head) = op.drv_next;
  (op.drv_next ? op.drv_next->drv_prev : pool.waiters_tail) = op.drv_prev;
  op.drv_prev = op.drv_next = nullptr;
  op.marks &= static_cast<std::uint8_t>(~op_mark::pool_wait);
  op.state = op_state::canceling;
  op.result = -ECANCELED;
  completed_.push(op);
}

}  // namespace corio::detail
