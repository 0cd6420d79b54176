// Spawned task lifetimes: start, finish, cancel (kill), and the runtime's list of live tasks.
#include "core/src/runtime_state.hpp"

#include <system_error>

namespace corio::detail {

void launch(spawn_state& s, std::coroutine_handle<> frame) {
  if (!tls_runtime) throw std::system_error(make_error_code(errc::no_runtime), "corio::spawn");
  tls_runtime->launch(s, frame);
}

void finish(spawn_state& s) noexcept { s.rt->finish(s); }

void cancel_spawned(spawn_state& s) noexcept {
  if (!s.finished) s.rt->cancel_task(s);
}

void runtime_state::launch(spawn_state& s, std::coroutine_handle<> frame) noexcept {
  s.rt = this;
  s.frame = frame;
  s.ctx.unwind_on_resume = true;
  s.ctx.owner = &s;
  s.ctx.unwind = [](task_ctx* ctx) noexcept {
    auto* st = static_cast<spawn_state*>(ctx->owner);
    st->rt->kill_now(*st);
  };
  s.start.handle = frame;
  s.start.ctx = &s.ctx;
  s.live_prev = nullptr;
  s.live_next = tasks_;
  if (tasks_) tasks_->live_prev = &s;
  tasks_ = &s;
  ++stats_.tasks_spawned;
  ++stats_.tasks_live;
  if (shutting_down_) s.ctx.cancel_requested = true;
  ready_.push(s.start);
}

static void unlink_task(spawn_state*& head, spawn_state& s) noexcept {
  (s.live_prev ? s.live_prev->live_next : head) = s.live_next;
  if (s.live_next) s.live_next->live_prev = s.live_prev;
  s.live_prev = s.live_next = nullptr;
}

void runtime_state::finish(spawn_state& s) noexcept {
  s.finished = true;
  unlink_task(tasks_, s);
  --stats_.tasks_live;
  if (s.joiner) wake(*std::exchange(s.joiner, nullptr));
  s.release();
}

void runtime_state::cancel_task(spawn_state& s) noexcept {
  s.ctx.cancel();  // the leaf it waits on finishes; enter() then queues the unwind
}

void runtime_state::kill_now(spawn_state& s) noexcept {
  // No operation of this task is in flight: destroying the frame releases its handles.
  unlink_task(tasks_, s);
  --stats_.tasks_live;
  s.frame.destroy();
  s.cancelled = true;
  s.finished = true;
  if (s.joiner) wake(*std::exchange(s.joiner, nullptr));
  s.release();
}

void runtime_state::cancel_all_tasks() noexcept {
  for (spawn_state* s = tasks_; s;) {
    spawn_state* next = s->live_next;
    cancel_task(*s);
    s = next;
  }
}

}  // namespace corio::detail
