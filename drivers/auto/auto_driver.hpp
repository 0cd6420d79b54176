// The auto driver (CORIO_BACKEND=auto): io_uring and epoll are both compiled in and each runtime
// picks one when it is constructed. The chosen driver lives in place in a tagged union; every
// contract call is one predictable branch on the tag, then the same call the single-driver build
// makes. Operations are forwarded whole, so any op_kind either driver handles works here.
#pragma once

#include "core/src/node_queue.hpp"
#include "drivers/epoll/epoll_driver.hpp"
#include "drivers/io_uring/uring_driver.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace corio::detail {

struct fd_record;

/// What the runtime asks for, after runtime_options::driver_policy and CORIO_DRIVER.
enum class driver_want : std::uint8_t { prefer_io_uring, io_uring, epoll };

class auto_driver {
 public:
  static constexpr const char* name = "auto";

  /// prefer_io_uring, with no stated origin (what driver_contract constructs).
  auto_driver(completion_queue& done, unsigned entries, unsigned pool_threads);
  /// `origin` names what asked ("CORIO_DRIVER=epoll"), empty for the default policy. Throws
  /// std::system_error when the wanted driver cannot be had: io_uring refused under
  /// driver_want::io_uring, a resource error (ENOMEM...) under any policy.
  auto_driver(completion_queue& done, unsigned entries, unsigned pool_threads, driver_want want,
              const std::string& origin);
  ~auto_driver();
  auto_driver(const auto_driver&) = delete;
  auto_driver& operator=(const auto_driver&) = delete;

  template <class Op>  // typed: io_uring's inline preparation for the stream operations
  void submit(Op& op) noexcept {
    if (uring_) u_.submit(op); else e_.submit(op);
  }
  template <class Op>
  bool submit_inline(Op& op) noexcept {
    if (!uring_) return e_.submit_inline(op);
    u_.submit(op);
    return false;
  }
  /// On io_uring nothing completes inside submit: the core skips the inline path's budget.
  bool completes_inline_now() const noexcept { return !uring_; }
  void cancel(op_base& op) noexcept {
    if (uring_) u_.cancel(op); else e_.cancel(op);
  }
  bool cancels_by_fd(const op_base& op) const noexcept {
    return uring_ ? u_.cancels_by_fd(op) : e_.cancels_by_fd(op);
  }
  void cancel_fd(fd_record& r) noexcept {
    if (uring_) u_.cancel_fd(r); else e_.cancel_fd(r);
  }
  /// Pooled reads: io_uring's buffer rings; on epoll the pool keeps its own buffers.
  bool attach_pool(pool_state& p) noexcept { return uring_ && u_.attach_pool(p); }
  void give_back(pool_state& p, buffer_id id) noexcept {
    if (uring_) u_.give_back(p, id);
  }
  void detach_pool(pool_state& p) noexcept {
    if (uring_) u_.detach_pool(p);
  }
  void flush() noexcept {
    if (uring_) u_.flush();
  }
  void run_once(std::int64_t timeout_ns) {
    if (uring_) u_.run_once(timeout_ns); else e_.run_once(timeout_ns);
  }
  /// io_uring hands each completion to `each` as it reaps it; epoll queues its own (the core
  /// collects the queue after either).
  template <class Each>
  void flush(Each&& each) noexcept {
    if (uring_) u_.flush(each);
  }
  template <class Each>
  void run_once(std::int64_t timeout_ns, Each&& each) {
    if (uring_) u_.run_once(timeout_ns, each); else e_.run_once(timeout_ns);
  }
  void wake() noexcept {
    if (uring_) u_.wake(); else e_.wake();
  }
  std::size_t in_flight() const noexcept { return uring_ ? u_.in_flight() : e_.in_flight(); }
  void release(fd_record& r) noexcept {
    if (uring_) u_.release(r); else e_.release(r);
  }

  /// "io_uring" or "epoll": the driver chosen.
  const char* active_name() const noexcept { return uring_ ? uring_driver::name : epoll_driver::name; }
  /// Why it was chosen (runtime::backend_reason()).
  const std::string& reason() const noexcept { return reason_; }

 private:
  // ---- set once at construction ----
  bool uring_ = false;
  union {
    uring_driver u_;
    epoll_driver e_;
  };
  std::string reason_;
};

}  // namespace corio::detail
