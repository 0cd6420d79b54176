#include <corio/task_group.hpp>

namespace corio {

task_group::membership::~membership() {
  group->members.erase(self);  // detaches this member's join_handle
  if (group->members.empty() && group->joiner) detail::schedule(*std::exchange(group->joiner, nullptr));
}

// Holds a plain pointer: GCC 12 may destroy a co_await operand's temporaries twice, so
// awaiters here stay trivially destructible; join() keeps the state alive meanwhile.
struct task_group::join_awaiter {
  explicit join_awaiter(state* st) noexcept : s(st) {}
  state* s;
  detail::ready_node node;
  bool await_ready() const noexcept { return s->members.empty(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    node.handle = h;
    node.ctx = detail::tls_ctx;
    if (detail::unwind_if_cancelled(node)) return true;
    s->joiner = &node;
    if (node.ctx) {
      node.ctx->set_hook(
          [](void* arg) noexcept {
            auto* self = static_cast<join_awaiter*>(arg);
            self->s->joiner = nullptr;
            detail::schedule(self->node);
          },
          this);
    }
    return true;
  }
  void await_resume() const noexcept {}
};

task<void> task_group::join() {
  std::shared_ptr<state> s = state_;
  co_await join_awaiter(s.get());
  if (s->members.empty() && s->first_error) std::rethrow_exception(std::exchange(s->first_error, nullptr));
}

task<bool> task_group::shutdown(std::chrono::steady_clock::time_point deadline) {
  std::shared_ptr<state> s = state_;
  s->stop.request_stop();
  if (!s->members.empty()) {
    co_await timeout(deadline - std::chrono::steady_clock::now(), join_awaiter(s.get()));
  }
  if (s->members.empty()) co_return true;
  for (auto& h : s->members) h.cancel();
  co_await join_awaiter(s.get());
  co_return false;
}

}  // namespace corio
