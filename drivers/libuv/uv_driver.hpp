// The libuv driver: completion emulated on libuv's readiness and thread pool. Socket
// operations are tried at once and, only if they would block, parked in per-descriptor queues
// (drivers/readiness) watched by one uv_poll_t per descriptor, started with exactly the
// events the queues need. Files and paths are uv_fs_* requests on libuv's own pool.
#pragma once

#include "core/src/node_queue.hpp"
#include "drivers/libuv/uv_fd.hpp"
#include "drivers/readiness/fd_queues.hpp"

#include <cstddef>
#include <cstdint>
#include <uv.h>

namespace corio::detail {

struct fd_record;
struct uv_fs_job;  // a pooled libuv request (uv_fs.cpp)

class uv_driver {
 public:
  static constexpr const char* name = "libuv";

  /// Throws std::system_error naming the cause when the libuv loop cannot be set up.
  /// entries bounds the closes run per turn; pool_threads is unused (libuv sizes its own pool).
  uv_driver(completion_queue& done, unsigned entries, unsigned pool_threads);
  /// Closes every handle and runs the loop until uv_loop_close succeeds.
  ~uv_driver();
  uv_driver(const uv_driver&) = delete;
  uv_driver& operator=(const uv_driver&) = delete;

  void submit(op_base& op) noexcept;
  /// Like submit(), except that a socket operation whose system call does not block is not
  /// queued: true, with op.result set (the core resumes nobody: its waiter goes on at once).
  /// Typed: recv_op and send_op go from the core's start_op to their system call inline.
  template <class Op>
  [[gnu::always_inline]] bool submit_inline(Op& op) noexcept {
    return readiness::submit_inline(*this, op, in_flight_);
  }
  void cancel(op_base& op) noexcept;
  /// Socket operations wait in the descriptor's own queues: cancel_fd reaches them all, and
  /// the core keeps no list of them. Files and paths run on a pool: those it lists.
  bool cancels_by_fd(const op_base& op) const noexcept { return category_of(op.kind) == op_category::socket; }
  void cancel_fd(fd_record& r) noexcept;
  void run_once(std::int64_t timeout_ns);
  void flush() noexcept {}  // submit() starts socket operations itself
  void wake() noexcept;
  std::size_t in_flight() const noexcept { return in_flight_; }
  /// Stops and closes the descriptor's poll handle; the descriptor stays open.
  void release(fd_record& r) noexcept;

  // ---- for libuv callbacks (loop thread) ----
  readiness::sink sink() noexcept { return {done_, in_flight_}; }
  void finish(op_base& op, int res) noexcept { sink().finish(op, res); }
  /// Starts, restarts or stops st's poll handle to match what its queues wait for.
  /// Starts, changes or stops st's poll to cover what its parked ops wait for. Events nobody
  /// waits for stay watched until they fire unwanted (`fired_unwanted`): the next op on a busy
  /// socket usually wants them again, and a stop + restart costs two epoll_ctl calls.
  void update_watch(uv_fd& st, int fired_unwanted = 0) noexcept;
  /// A request finished with res: recycles it and finishes its op.
  void fs_done(uv_fs_job& job, int res) noexcept;
  bool dying() const noexcept { return dying_; }

 private:
  // per category (uv_submit.cpp, uv_watch.cpp, uv_fs.cpp)
  void submit_socket(op_base& op) noexcept;
  void submit_file(op_base& op) noexcept;
  void submit_close(op_base& op) noexcept;
  void run_closes(std::size_t max) noexcept;
  // For readiness::try_socket: the descriptor's state with its poll handle initialised (null
  // and *err on failure), and after a park its poll made to cover what op waits for. A stream
  // op whose direction is watched already (a busy socket: see update_watch) costs nothing more.
  using fd_state = uv_fd;
  template <class D, class Op>
  friend bool readiness::try_socket(D&, Op&) noexcept;
  uv_fd* watch(fd_record& r, int* err) noexcept;
  template <class Op>
  void parked(uv_fd& st, const Op&) noexcept {
    if constexpr (std::is_same_v<Op, recv_op> || std::is_same_v<Op, recv_pooled_op>) {
      if (st.events & UV_READABLE) return;
    } else if constexpr (std::is_same_v<Op, send_op>) {
      if (st.events & UV_WRITABLE) return;
    }
    update_watch(st);
  }
  /// Detaches r's state and closes its poll handle; `closer` (if any) closes the descriptor.
  void forget(fd_record& r, op_base* closer) noexcept;
  int start_fs(uv_fs_job& job, op_base& op) noexcept;
  int start_work(uv_fs_job& job) noexcept;
  void cancel_fs(op_base& op) noexcept;
  void free_jobs() noexcept;
  /// Closes every handle of the loop (async, timer, poll handles left over).
  void close_all_handles() noexcept;

  // ---- set once at construction ----
  completion_queue& done_;
  uv_loop_t loop_{};
  uv_async_t async_{};  ///< wake(): uv_async_send coalesces, never loses a wake
  uv_timer_t timer_{};  ///< bounds run_once's wait

  // ---- loop thread only ----
  std::size_t in_flight_ = 0;
  op_list closes_;  ///< closes run by the next run_once calls, at most close_batch_ each
  std::size_t close_batch_ = 256;
  uv_fs_job* free_jobs_ = nullptr;  ///< recycled requests: no allocation per file op
  uv_fs_job* live_jobs_ = nullptr;  ///< requests in flight (searched by cancel)
  bool dying_ = false;
};

}  // namespace corio::detail
