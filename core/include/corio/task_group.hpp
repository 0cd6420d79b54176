// corio::task_group: a set of spawned tasks that can be joined and cancelled together, with a
// deadline — what a server needs for a graceful shutdown (stop accepting, tell connections,
// wait, then cut).
#pragma once

#include <corio/spawn.hpp>
#include <corio/stop.hpp>
#include <corio/time.hpp>

#include <chrono>
#include <exception>
#include <list>
#include <memory>

namespace corio {

class task_group {
  struct state {
    std::list<join_handle<void>> members;
    detail::ready_node* joiner = nullptr;
    std::exception_ptr first_error;
    stop_source stop;
  };

 public:
  task_group() = default;
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;
  /// Cancels the members still running (they finish on their own, after their operations let go).
  ~task_group() { cancel(); }

  /// Spawns t as a member (its value is discarded; its exception is kept for join()).
  template <class T>
  void spawn(task<T> t) {
    auto it = state_->members.emplace(state_->members.end());
    *it = corio::spawn(member(std::move(t), state_, it));
  }

  /// Members still running.
  std::size_t size() const noexcept { return state_->members.size(); }

  /// Cancels every member.
  void cancel() noexcept {
    for (auto& h : state_->members) h.cancel();
  }

  /// Asks the members to stop, without cancelling anything: every wait on get_stop_token()
  /// ends (an idle connection racing its read against it leaves at once); work in progress
  /// goes on. shutdown() does this first.
  void request_stop() noexcept { state_->stop.request_stop(); }
  bool stop_requested() const noexcept { return state_->stop.stop_requested(); }
  /// The token members race against where they can stop cleanly:
  /// `co_await corio::when_any(stream.read(buf), token.wait())`.
  corio::stop_token get_stop_token() const noexcept { return state_->stop.token(); }

  /// Waits until every member has finished; rethrows the first exception a member threw.
  task<void> join();

  /// Requests stop, waits for the members until `deadline`, then cancels those left and waits
  /// for them to let go. True if every member finished on its own in time.
  task<bool> shutdown(std::chrono::steady_clock::time_point deadline);
  /// The same with a deadline `d` from now.
  task<bool> shutdown(std::chrono::nanoseconds d) { return shutdown(std::chrono::steady_clock::now() + d); }

 private:
  /// Leaves the group when the member's frame goes, whether it finished or was cancelled.
  struct membership {
    std::shared_ptr<state> group;
    std::list<join_handle<void>>::iterator self;
    ~membership();
  };

  template <class T>
  static task<void> member(task<T> t, std::shared_ptr<state> g, std::list<join_handle<void>>::iterator self) {
    membership m{std::move(g), self};
    try {
      co_await std::move(t);
    } catch (...) {
      if (!m.group->first_error) m.group->first_error = std::current_exception();
    }
  }

  struct join_awaiter;
  std::shared_ptr<state> state_ = std::make_shared<state>();
};

}  // namespace corio
