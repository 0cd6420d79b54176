// The driver contract, and the driver chosen at build time (CORIO_BACKEND). Core code uses
// only the members the concept names; no virtual calls.
#pragma once

#include "core/src/node_queue.hpp"

#include <corio/detail/pool_state.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>

namespace corio::detail {

struct fd_record;

/// What every driver provides. Operations finish by being pushed, result set, onto the
/// completion_queue the driver was constructed with; the core resumes their waiters.
template <class D>
concept driver_contract =
    std::constructible_from<D, completion_queue&, unsigned /*queue entries*/, unsigned /*pool threads*/> &&
    requires(D& d, op_base& op, fd_record& fd, std::int64_t timeout_ns) {
      { D::name } -> std::convertible_to<const char*>;
      d.submit(op);            ///< start op (batched: may only be queued until run_once)
      d.cancel(op);            ///< ask op to finish early; it still completes exactly once. May come
                               ///< after the driver already queued op's completion: then a no-op
      { d.cancels_by_fd(op) } -> std::convertible_to<bool>;  ///< cancel_fd reaches op (no list kept)
      d.cancel_fd(fd);         ///< cancel(op) for every op on fd that cancels_by_fd covers
      d.run_once(timeout_ns);  ///< flush submissions, wait up to timeout (-1: forever), collect
      d.flush();               ///< hand queued submissions to the kernel now, without waiting
                               ///< (a no-op where submit() starts the operation itself)
      d.wake();                ///< from any thread: make a waiting run_once return
      { d.in_flight() } -> std::convertible_to<std::size_t>;
      d.release(fd);           ///< forget per-descriptor state without closing (runtime dying)
    };

/// Optional: drivers whose operations can finish inside submit (epoll, libuv) also offer
/// `bool submit_inline(op)`: submit(), except that an operation finished at once is not
/// queued (true, op.result set). The core then lets the waiter go on without suspending.
template <class D>
concept inline_completing = requires(D& d, op_base& op) {
  { d.submit_inline(op) } -> std::same_as<bool>;
};
/// Optional: drivers that hand each completion to the core as they reap it (io_uring) also
/// offer run_once(timeout_ns, each) and flush(each): each(op) gets the operation, result set,
/// once the kernel's slot is released. The core calls them only from the loop's top level and
/// resumes the waiter inside each(); what the driver finishes elsewhere still takes the queue.
template <class D>
concept reaping_to_core = requires(D& d, std::int64_t timeout_ns, void (&each)(op_base&) noexcept) {
  d.run_once(timeout_ns, each);
  d.flush(each);
};
template <inline_completing D, class Op>
[[gnu::always_inline]] inline bool submit_inline(D& d, Op& op) noexcept {
  return d.submit_inline(op);
}
/// Optional, for a driver that completes inline only on some machines (auto: on epoll, not on
/// io_uring): false sends every operation straight to submit(), with no budget kept.
template <class D>
bool completes_inline_now(const D& d) noexcept {
  if constexpr (requires { { d.completes_inline_now() } -> std::same_as<bool>; }) {
    return d.completes_inline_now();
  } else {
    return true;
  }
}

/// Optional, for a driver whose kernel picks a pooled read's buffer itself (io_uring's provided
/// buffer rings): attach_pool(p) hands it every free buffer of p and says whether it took them
/// (p.native then); give_back(p, id) returns one to it; detach_pool(p) takes them all back.
/// Without them a driver receives into buffers it takes from the pool (pool_state::take).
template <class D>
bool attach_pool(D& d, pool_state& p) noexcept {
  if constexpr (requires { { d.attach_pool(p) } -> std::same_as<bool>; }) {
    return d.attach_pool(p);
  } else {
    return false;
  }
}
template <class D>
void give_back(D& d, pool_state& p, buffer_id id) noexcept {
  if constexpr (requires { d.give_back(p, id); }) d.give_back(p, id);
}
template <class D>
void detach_pool(D& d, pool_state& p) noexcept {
  if constexpr (requires { d.detach_pool(p); }) d.detach_pool(p);
}

}  // namespace corio::detail

#if defined(CORIO_BACKEND_IO_URING)
#include "drivers/io_uring/uring_driver.hpp"
namespace corio::detail { using driver = uring_driver; }
#elif defined(CORIO_BACKEND_EPOLL)
#include "drivers/epoll/epoll_driver.hpp"
namespace corio::detail { using driver = epoll_driver; }
#elif defined(CORIO_BACKEND_LIBUV)
#include "drivers/libuv/uv_driver.hpp"
namespace corio::detail { using driver = uv_driver; }
#elif defined(CORIO_BACKEND_AUTO)
#include "drivers/auto/auto_driver.hpp"  // io_uring or epoll, chosen per runtime (driver_select)
namespace corio::detail { using driver = auto_driver; }
#else
#error "CORIO_BACKEND_IO_URING, CORIO_BACKEND_EPOLL, CORIO_BACKEND_LIBUV or CORIO_BACKEND_AUTO must be defined"
#endif

static_assert(corio::detail::driver_contract<corio::detail::driver>);
