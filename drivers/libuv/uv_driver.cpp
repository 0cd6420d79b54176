// Lifecycle, the wait and wake-ups of the libuv driver.
#include "drivers/libuv/uv_driver.hpp"

#include <cstdint>
#include <string>
#include <system_error>

namespace corio::detail {

namespace {

[[noreturn]] void fail(int uv_err, const char* what) {
  throw std::system_error(-uv_err, std::system_category(),
                          std::string("corio: libuv driver: ") + what + ": " + uv_strerror(uv_err));
}

// libuv opens process-wide descriptors (a signal lock pipe) with the first loop ever created.
// Create that first loop at start-up, so the descriptors a program counts around its first
// runtime are only that runtime's own.
const bool uv_process_state_ready = [] {
  uv_loop_t loop;
  if (uv_loop_init(&loop) == 0) uv_loop_close(&loop);
  return true;
}();

}  // namespace

uv_driver::uv_driver(completion_queue& done, unsigned entries, unsigned) : done_(done) {
  if (int rc = uv_loop_init(&loop_); rc < 0) fail(rc, "uv_loop_init");
  loop_.data = this;
  if (int rc = uv_async_init(&loop_, &async_, [](uv_async_t*) {}); rc < 0) {
    uv_loop_close(&loop_);
    fail(rc, "uv_async_init");
  }
  uv_timer_init(&loop_, &timer_);  // cannot fail
  close_batch_ = entries ? entries : 1;
}

uv_driver::~uv_driver() {
  run_closes(SIZE_MAX);  // none by the core's contract (it drains first); never leak one
  dying_ = true;
  close_all_handles();
  // Let every close callback and request finish: uv_loop_close fails while any is left.
  while (uv_loop_close(&loop_) == UV_EBUSY) uv_run(&loop_, UV_RUN_DEFAULT);
  free_jobs();
}

void uv_driver::wake() noexcept { uv_async_send(&async_); }

void uv_driver::run_once(std::int64_t timeout_ns) {
  run_closes(close_batch_);
  // Ops finished inside cancel() (called by a timer after the core collected) are already
  // queued, and closes may be left for the next turn: the core must not sleep meanwhile.
  if (!done_.empty() || !closes_.empty()) timeout_ns = 0;
  if (timeout_ns == 0) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    return;
  }
  if (timeout_ns > 0) {
    // Rounded up to whole milliseconds: waking early would spin.
    const auto ms = static_cast<std::uint64_t>((timeout_ns + 999'999) / 1'000'000);
    uv_update_time(&loop_);
    // uv_stop, not an empty callback: UV_RUN_ONCE runs due timers before it polls, and a timer
    // that already fired leaves the poll with no bound at all. uv_stop makes it not block.
    uv_timer_start(&timer_, [](uv_timer_t* t) { uv_stop(t->loop); }, ms, 0);
  }
  uv_run(&loop_, UV_RUN_ONCE);
  if (timeout_ns > 0) uv_timer_stop(&timer_);
}

}  // namespace corio::detail
