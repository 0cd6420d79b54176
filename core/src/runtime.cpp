// The run loop and the public runtime class.
#include "core/src/runtime_state.hpp"

#include "core/src/driver_select.hpp"

#include <system_error>

namespace corio::detail {

runtime_state::runtime_state(const runtime_options& options)
    : driver_(make_driver(completed_, options, driver_reason_)),
      owner_thread_(std::this_thread::get_id()) {
  bounced_.reserve(16);
}

runtime_state::~runtime_state() = default;

runtime_stats runtime_state::snapshot() const noexcept {
  runtime_stats s = stats_;
  s.ops_in_flight = s.ops_submitted - s.ops_completed;
  s.timers_armed = timers_.size();
  return s;
}

void runtime_state::post(std::function<void()> fn) {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(std::move(fn));
  }
  inbox_pending_.store(true, std::memory_order_release);
  driver_.wake();
}

namespace {
/// Sets this thread's stack floor for the resumptions of the turns of one loop (see
/// transfer.hpp). Set by the loops, not by each turn: every turn starts at the same depth.
struct stack_floor_scope {
  stack_floor_scope() noexcept : saved(tls_stack_floor) {
    const std::uintptr_t here = stack_position();
    tls_stack_floor = here > stack_budget ? here - stack_budget : 0;
  }
  ~stack_floor_scope() { tls_stack_floor = saved; }
  std::uintptr_t saved;
};
}  // namespace

void runtime_state::run_bounced_now() noexcept {
  for (std::size_t i = 0; i < bounced_.size(); ++i) {
    const bounced_resume b = bounced_[i];  // a copy: resuming may append (and reallocate)
    tls_ctx = b.ctx;
    b.handle.resume();
  }
  bounced_.clear();
}

namespace {
/// poll_driver's handler for each completion the driver reaps. A class rather than a lambda:
/// its call is forced inline into the reap loop, and GCC and Clang spell that attribute the
/// same way only on a member function.
struct resume_completed {
  runtime_state& rt;
  [[gnu::always_inline]] void operator()(op_base& op) const noexcept {
    if (rt.on_completed(op)) rt.enter(op).resume();
  }
};

// A template, so that the branch a driver does not offer is discarded, not compiled.
template <class D, class Each>
void run_driver(D& d, std::int64_t wait_ns, bool flush_only, Each& each) {
  if constexpr (reaping_to_core<D>) {
    if (flush_only) {
      d.flush(each);
    } else {
      d.run_once(wait_ns, each);
    }
  } else if (flush_only) {
    d.flush();
  } else {
    d.run_once(wait_ns);
  }
}
}  // namespace

// The driver's turn, then what it completed. Where the driver hands each completion over as it
// reaps it (io_uring), the waiter resumes right there: no queue between the ring and the
// coroutine. This is the loop's top level, never inside a coroutine, so a resumed coroutine
// that submits cannot recurse into the reaper.
void runtime_state::poll_driver(std::int64_t wait_ns, bool flush_only) {
  resume_completed resume{*this};
  run_driver(driver_, wait_ns, flush_only, resume);
  if constexpr (reaping_to_core<driver>) run_bounced();
  collect();
}

void runtime_state::run_posted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(inbox_mutex_);
    batch.swap(inbox_);
  }
  for (auto& fn : batch) fn();
}

void runtime_state::turn(std::int64_t max_wait_ns) {
  // A plain load first: the common case (nothing posted) costs no atomic read-modify-write.
  if (inbox_pending_.load(std::memory_order_relaxed) && inbox_pending_.exchange(false, std::memory_order_acquire)) {
    run_posted();
  }

  // Run what is ready now; what becomes ready meanwhile waits for the next turn, so I/O is
  // never starved by tasks that keep yielding.
  node_queue batch = ready_.take_all();
  while (ready_node* n = batch.pop()) enter(*n).resume();
  while (ready_node* n = to_unwind_.pop()) n->ctx->unwind(n->ctx);
  run_bounced();

  collect();
  fire_timers();

  std::int64_t wait = max_wait_ns;
  // completed_ too: a timer that fired above may have cancelled an operation that its driver
  // completed on the spot (epoll and libuv do for a job still queued): do not sleep on it.
  if (!ready_.empty() || !to_unwind_.empty() || !completed_.empty() || !bounced_.empty() ||
      inbox_pending_.load(std::memory_order_relaxed) || (root_ && root_.done())) {
    // Tasks are ready to run: a zero-timeout poll now would mostly find nothing (one wasted
    // system call per turn on epoll and libuv). Run them first and poll with what they add, but
    // at least every max_turns_without_poll turns so that tasks that keep yielding cannot
    // starve I/O. What this turn submitted goes to the kernel now all the same (io_uring queues
    // it; the others started it in submit): under load ready_ is rarely empty, and a write
    // parked in the ring for 16 turns was the p99 tail at 500 connections (issue 14).
    // Operations epoll and libuv finished inside submit (past the inline budget) count as
    // ready tasks: polling for them made corio[libuv] wake 4x as often as libuv itself at
    // 1,000 connections (issue 15).
    if ((!ready_.empty() || !completed_.empty()) && ++turns_without_poll_ < max_turns_without_poll) {
      poll_driver(-1, true);
      return;
    }
    wait = 0;
  } else if (auto next = timers_.next_deadline()) {
    auto until = std::chrono::duration_cast<std::chrono::nanoseconds>(*next - clock::now()).count();
    if (until < 0) until = 0;
    if (wait < 0 || until < wait) wait = until;
  }
  turns_without_poll_ = 0;
  inline_budget_ = inline_completions_per_poll;
  poll_driver(wait, false);
  fire_timers();
}

// What the driver queued (epoll and libuv, io_uring's pool and withdrawn jobs), straight to the
// waiting coroutine with no hop through ready_: the driver has already copied the batch, and
// this runs only at the top of a turn, never from inside a coroutine. One batch at a time: what
// completes while it runs (epoll and libuv finish some operations inside submit) waits for the
// next collect, so a stream that always has data cannot hold the loop.
void runtime_state::collect_now() noexcept {
  node_queue batch = completed_.take_all();
  while (ready_node* n = batch.pop()) {
    auto& op = *static_cast<op_base*>(n);
    if (on_completed(op)) enter(op).resume();
  }
  run_bounced();
}

void runtime_state::fire_due_timers() { timers_.fire_due(clock::now()); }

void runtime_state::run_until_done(std::coroutine_handle<> done) {
  const stack_floor_scope floor;
  root_ = done;
  while (!done.done()) turn(-1);
  root_ = {};
}

bool runtime_state::drain(clock::time_point deadline) {
  const stack_floor_scope floor;
  shutting_down_ = true;
  cancel_all_tasks();
  for (;;) {
    const bool ops_left = stats_.ops_submitted != stats_.ops_completed;
    const bool queues_empty = ready_.empty() && to_unwind_.empty() && completed_.empty() && bounced_.empty();
    if (!ops_left && queues_empty) {
      if (!tasks_) break;
      // Live tasks with nothing in flight and nothing queued wait on something corio cannot
      // cancel (a foreign awaitable): destroy them now.
      while (tasks_) kill_now(*tasks_);
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - clock::now()).count();
    if (left <= 0) {
      force_close_all();
      return false;
    }
    turn(std::min<std::int64_t>(left, 10'000'000));
  }
  return true;
}

}  // namespace corio::detail

namespace corio {

using detail::runtime_state;

namespace {
/// Makes `rt` this thread's running runtime for a scope.
struct running_guard {
  explicit running_guard(runtime_state* rt) : prev_rt(detail::tls_runtime), prev_ctx(detail::tls_ctx) {
    detail::tls_runtime = rt;
  }
  ~running_guard() {
    detail::tls_runtime = prev_rt;
    detail::tls_ctx = prev_ctx;
  }
  runtime_state* prev_rt;
  detail::task_ctx* prev_ctx;
};
}  // namespace

runtime::runtime(runtime_options options) : state_(std::make_unique<runtime_state>(options)) {}

runtime::~runtime() {
  if (!state_) return;
  running_guard guard(state_.get());
  state_->drain(detail::clock::now() + std::chrono::seconds(10));
  state_->detach_all_records();
  state_->detach_all_pools();
}

std::string_view runtime::backend() const noexcept { return detail::active_driver_name(state_->driver_); }

std::string_view runtime::backend_reason() const noexcept {
  return detail::active_driver_reason(state_->driver_, state_->driver_reason_);
}

runtime_stats runtime::stats() const noexcept { return state_->snapshot(); }

runtime_stats this_runtime_stats() noexcept {
  return detail::tls_runtime ? detail::tls_runtime->snapshot() : runtime_stats{};
}

void runtime::run_root(std::coroutine_handle<> root) {
  if (detail::tls_runtime) {
    throw std::system_error(make_error_code(errc::nested_block_on), "corio::runtime::block_on");
  }
  if (state_->running_.exchange(true, std::memory_order_acquire)) {
    throw std::system_error(make_error_code(errc::wrong_runtime),
                            "corio::runtime::block_on: runtime already running on another thread");
  }
  struct reset_running {
    std::atomic<bool>& flag;
    ~reset_running() { flag.store(false, std::memory_order_release); }
  } reset{state_->running_};
  if (state_->shutting_down_) {
    throw std::system_error(make_error_code(errc::shutting_down), "corio::runtime::block_on");
  }
  running_guard guard(state_.get());
  detail::task_ctx root_ctx;
  detail::ready_node start;
  start.handle = root;
  start.ctx = &root_ctx;
  state_->ready_.push(start);
  state_->run_until_done(root);
}

bool runtime::shutdown(std::chrono::nanoseconds deadline) {
  if (detail::tls_runtime) {
    throw std::system_error(make_error_code(errc::nested_block_on), "corio::runtime::shutdown");
  }
  running_guard guard(state_.get());
  return state_->drain(detail::clock::now() + deadline);
}

void runtime::post(std::function<void()> fn) { state_->post(std::move(fn)); }

void runtime::wake() noexcept { state_->driver_.wake(); }

}  // namespace corio
