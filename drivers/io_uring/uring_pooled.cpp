// Pooled reads on io_uring. With a provided buffer ring (kernels since 5.19) a pool's free
// buffers are the kernel's: a pooled read is a receive with IOSQE_BUFFER_SELECT, and the kernel
// takes a buffer only when data has arrived. When the ring runs dry the receive fails at once
// with ENOBUFS, data or not; the read then waits for data holding nothing (POLL_ADD) and tries
// once more, and only an ENOBUFS after that goes to the core, which parks the read on its pool
// (buffer_pool.cpp). Without buffer rings every pooled read polls, then receives here as epoll
// would (drivers/readiness/socket_ops.hpp).
//
// Every SQE of a pooled read but the receive into a reserved buffer carries the read's address
// tagged with uring_tag_pooled; op.stage says which SQE it is.
#include "drivers/io_uring/uring_driver.hpp"

#include "drivers/readiness/socket_ops.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/mman.h>

namespace corio::detail {

namespace {
// recv_pooled_op::stage on a native pool
constexpr std::uint8_t first_receive = 0;   // a buffer-select receive
constexpr std::uint8_t waiting_for_data = 1;  // the ring ran dry: POLL_ADD, holding nothing
constexpr std::uint8_t last_receive = 2;    // a buffer-select receive after that poll
}  // namespace

void uring_prep_pooled(io_uring_sqe* sqe, recv_pooled_op& op) noexcept {
  pool_state& pool = *op.pool;
  const int fd = op_fd(op);
  if (op.buf != no_buffer) {  // the core reserved a buffer for it: receive into that one
    io_uring_prep_recv(sqe, fd, pool.data(op.buf), static_cast<unsigned>(clamp_len(pool.size)), 0);
    io_uring_sqe_set_data(sqe, &op);
    return;
  }
  if (pool.native && op.stage != waiting_for_data) {
    io_uring_prep_recv(sqe, fd, nullptr, static_cast<unsigned>(clamp_len(pool.size)), 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = pool.group;
  } else {
    io_uring_prep_poll_add(sqe, fd, POLLIN);
  }
  io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uint64_t>(&op) | uring_tag_pooled);
}

op_base* uring_driver::reap_tagged(std::uint64_t data, int res, std::uint32_t flags) noexcept {
  if ((data & uring_tag_mask) != uring_tag_pooled) {
    rearm_wake_ |= data == tag_wake;
    return nullptr;
  }
  --in_flight_;
  return pooled_step(*reinterpret_cast<recv_pooled_op*>(data & ~uring_tag_mask), res, flags);
}

op_base* uring_driver::pooled_step(recv_pooled_op& op, int res, std::uint32_t flags) noexcept {
  pool_state& pool = *op.pool;
  const bool cancelling = op.state == op_state::canceling;
  if (pool.native && op.stage != waiting_for_data) {  // a buffer-select receive
    if (flags & IORING_CQE_F_BUFFER) {  // the kernel took a buffer (an end of stream too)
      op.buf = static_cast<buffer_id>(flags >> IORING_CQE_BUFFER_SHIFT);
      --pool.free_count;
    }
    if (res == -ENOBUFS && op.stage == first_receive && !cancelling) {
      op.stage = waiting_for_data;
      submit_typed(static_cast<op_base&>(op));
      return nullptr;
    }
    op.stage = first_receive;
    op.result = res;  // an ENOBUFS after the poll: data waits, the core parks the read
    return &op;
  }
  // A POLL_ADD.
  if (res < 0 || cancelling) {
    op.stage = first_receive;
    op.result = res < 0 ? res : -ECANCELED;
    return &op;
  }
  if (pool.native) {  // data is there: the last try at a buffer from the ring
    op.stage = last_receive;
    submit_typed(static_cast<op_base&>(op));
    return nullptr;
  }
  // No buffer ring: receive now into a buffer taken from the pool, as epoll would.
  const int got = readiness::perform(op);
  if (got == readiness::would_block) {  // readable for a moment only: wait again
    submit_typed(static_cast<op_base&>(op));
    return nullptr;
  }
  op.result = got;
  return &op;
}

bool uring_driver::attach_pool(pool_state& p) noexcept {
  if (!buf_rings_) return false;
  std::uint16_t group;
  if (!free_groups_.empty()) {
    group = free_groups_.back();
    free_groups_.pop_back();
  } else if (next_group_ < 0xffff) {
    group = next_group_++;
  } else {
    return false;  // 65,535 pools on one ring: the others poll, then receive
  }
  std::size_t entries = 1;
  while (entries < p.count) entries <<= 1;
  const std::size_t bytes = entries * sizeof(io_uring_buf);
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    free_groups_.push_back(group);
    return false;
  }
  auto* br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(mem);
  reg.ring_entries = static_cast<std::uint32_t>(entries);
  reg.bgid = group;
  if (int rc = io_uring_register_buf_ring(&ring_, &reg, 0); rc < 0) {
    ::munmap(mem, bytes);
    free_groups_.push_back(group);
    if (rc == -EINVAL) buf_rings_ = false;  // a kernel before 5.19: never ask again
    return false;
  }
  const int mask = io_uring_buf_ring_mask(static_cast<std::uint32_t>(entries));
  for (std::size_t i = 0; i < p.count; ++i) {
    io_uring_buf_ring_add(br, p.data(static_cast<buffer_id>(i)), static_cast<unsigned>(p.size),
                          static_cast<unsigned short>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(br, static_cast<int>(p.count));
  p.native = true;
  p.group = group;
  p.ring = mem;
  p.ring_entries = entries;
  p.free_count = p.count;
  return true;
}

void uring_driver::give_back(pool_state& p, buffer_id id) noexcept {
  auto* br = static_cast<io_uring_buf_ring*>(p.ring);
  io_uring_buf_ring_add(br, p.data(id), static_cast<unsigned>(p.size), id,
                        io_uring_buf_ring_mask(static_cast<std::uint32_t>(p.ring_entries)), 0);
  io_uring_buf_ring_advance(br, 1);
  ++p.free_count;
}

void uring_driver::detach_pool(pool_state& p) noexcept {
  // No read of the pool is in flight (each holds a reference to it) unless the runtime is
  // going away, and then the ring goes with it.
  io_uring_unregister_buf_ring(&ring_, p.group);
  ::munmap(p.ring, p.ring_entries * sizeof(io_uring_buf));
  free_groups_.push_back(p.group);
  p.ring = nullptr;
  p.ring_entries = 0;
}

}  // namespace corio::detail
