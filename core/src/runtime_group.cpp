// runtime_group: one thread per runtime. Each thread constructs its runtime, runs a root task
// that waits for the stop message on a channel, then shuts its runtime down and destroys it.
#include <corio/channel.hpp>
#include <corio/runtime_group.hpp>
#include <corio/spawn.hpp>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <pthread.h>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

namespace corio::detail {

/// One thread and its runtime.
struct group_slot {
  std::thread thread;
  channel<clock::time_point> stop;  ///< the shutdown deadline, sent once

  // ---- guarded by mutex ----
  std::mutex mutex;
  runtime* rt = nullptr;   ///< set once constructed; cleared before it is destroyed
  bool accepting = false;  ///< post() allowed: constructed and not yet shutting down

  // ---- written by the slot's thread before it signals `ready` / exits ----
  std::string backend, reason;
  std::exception_ptr error;  ///< the runtime could not be constructed (or pinned)
  bool clean = true;         ///< runtime::shutdown finished in time
};

class group_state {
 public:
  explicit group_state(runtime_group_options o) : options(std::move(o)) {}

  runtime_group_options options;
  std::vector<std::unique_ptr<group_slot>> slots;

  // ---- guarded by mutex ----
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t ready = 0;          ///< threads done constructing (successfully or not)
  std::size_t tasks_running = 0;  ///< tasks spawned by start() not yet finished
  bool stopped = false;
  bool result = true;

  bool on_group_thread() const {
    for (auto& s : slots) {
      if (s->thread.get_id() == std::this_thread::get_id()) return true;
    }
    return false;
  }

  void pin(std::size_t i) {
    int cpu = -1;
    if (!options.cpus.empty()) {
      cpu = options.cpus[i % options.cpus.size()];
    } else {
      cpu_set_t allowed;
      CPU_ZERO(&allowed);
      if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
        throw std::system_error(errno, std::system_category(), "corio::runtime_group: sched_getaffinity");
      }
      const int n = CPU_COUNT(&allowed);
      int want = static_cast<int>(i % static_cast<std::size_t>(n > 0 ? n : 1));
      for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &allowed) && want-- == 0) {
          cpu = c;
          break;
        }
      }
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
      throw std::system_error(make_error_code(errc::invalid_argument),
                              "corio::runtime_group: no CPU " + std::to_string(cpu) + " to pin thread " + std::to_string(i));
    }
    CPU_SET(cpu, &set);
    if (int err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set); err != 0) {
      throw std::system_error(err, std::system_category(),
                              "corio::runtime_group: pinning thread " + std::to_string(i) + " to CPU " + std::to_string(cpu));
    }
  }

  static task<clock::time_point> wait_for_stop(channel<clock::time_point> stop) {
    for (;;) {
      auto r = co_await stop.recv();
      if (r) co_return *r;
      if (r.error() == make_error_code(errc::end_of_stream)) co_return clock::now();
      // ECANCELED cannot happen for the root (nobody cancels it); anything else: wait again.
    }
  }

  void thread_main(std::size_t i) {
    group_slot& s = *slots[i];
    std::unique_ptr<runtime> rt;
    try {
      if (options.pin) pin(i);
      rt = std::make_unique<runtime>(options.runtime);
      s.backend = std::string(rt->backend());
      s.reason = std::string(rt->backend_reason());
    } catch (...) {
      s.error = std::current_exception();
    }
    {
      std::lock_guard slot_lock(s.mutex);
      s.rt = rt.get();
      s.accepting = rt != nullptr;
    }
    {
      std::lock_guard lock(mutex);
      ++ready;
    }
    cv.notify_all();
    if (!rt) return;

    const clock::time_point deadline = rt->block_on(wait_for_stop(s.stop));
    {
      std::lock_guard slot_lock(s.mutex);
      s.accepting = false;  // from here on post() refuses: the runtime is going away
    }
    const auto left = deadline - clock::now();
    s.clean = rt->shutdown(left > clock::duration::zero() ? left : clock::duration::zero());
    {
      std::lock_guard slot_lock(s.mutex);
      s.rt = nullptr;
    }
    rt.reset();
  }

  void task_finished() {
    {
      std::lock_guard lock(mutex);
      --tasks_running;
    }
    cv.notify_all();
  }

  /// Stops every thread that started and joins it; returns whether all were clean.
  bool stop_all(clock::time_point deadline) {
    for (auto& s : slots) s->stop.send(deadline);
    bool clean = true;
    for (auto& s : slots) {
      if (s->thread.joinable()) s->thread.join();
      clean = clean && s->clean;
    }
    return clean;
  }
};

namespace {

/// Counts a start() task as finished however it ends: normally, by exception or cancelled
/// (its frame destroyed by a shutdown).
struct finish_guard {
  group_state* g;
  ~finish_guard() { g->task_finished(); }
};

/// The factory is shared by every runtime and outlives each task it made: a coroutine lambda's
/// captures live in the lambda object, which must not go away while its frame runs.
using factory_ptr = std::shared_ptr<std::function<task<void>(std::size_t)>>;

task<void> run_started(factory_ptr factory, std::size_t i, group_state* g) {
  finish_guard guard{g};
  co_await (*factory)(i);
}

}  // namespace

}  // namespace corio::detail

namespace corio {

using detail::group_state;

runtime_group::runtime_group(runtime_group_options options) : state_(std::make_unique<group_state>(std::move(options))) {
  auto& g = *state_;
  std::size_t n = g.options.threads;
  if (n == 0) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    n = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 ? static_cast<std::size_t>(CPU_COUNT(&allowed)) : 1;
    if (n == 0) n = 1;
  }
  g.slots.reserve(n);
  for (std::size_t i = 0; i < n; ++i) g.slots.push_back(std::make_unique<detail::group_slot>());
  std::size_t started = 0;
  try {
    for (; started < n; ++started) {
      g.slots[started]->thread = std::thread([&g, started] { g.thread_main(started); });
    }
  } catch (...) {
    // Could not start a thread: stop the ones that run, then report.
    for (std::size_t i = 0; i < started; ++i) g.slots[i]->stop.send(detail::clock::now());
    for (std::size_t i = 0; i < started; ++i) g.slots[i]->thread.join();
    g.stopped = true;
    throw;
  }
  {
    std::unique_lock lock(g.mutex);
    g.cv.wait(lock, [&] { return g.ready == n; });
  }
  for (auto& s : g.slots) {
    if (s->error) {
      g.stop_all(detail::clock::now() + std::chrono::seconds(5));
      g.stopped = true;
      std::rethrow_exception(s->error);
    }
  }
}

runtime_group::~runtime_group() {
  if (state_) shutdown();
}

std::size_t runtime_group::size() const noexcept { return state_->slots.size(); }

std::string_view runtime_group::backend(std::size_t i) const { return state_->slots.at(i)->backend; }
std::string_view runtime_group::backend_reason(std::size_t i) const { return state_->slots.at(i)->reason; }

bool runtime_group::post(std::size_t i, std::function<void()> fn) {
  auto& s = *state_->slots.at(i);
  std::lock_guard lock(s.mutex);
  if (!s.accepting) return false;
  s.rt->post(std::move(fn));  // under the slot lock: the runtime cannot be destroyed meanwhile
  return true;
}

bool runtime_group::start(std::function<task<void>(std::size_t)> factory) {
  auto& g = *state_;
  auto shared = std::make_shared<std::function<task<void>(std::size_t)>>(std::move(factory));  // factory_ptr
  bool all = true;
  for (std::size_t i = 0; i < g.slots.size(); ++i) {
    {
      std::lock_guard lock(g.mutex);
      ++g.tasks_running;
    }
    // Counted until the task is spawned; if the runtime never runs this (it shut down first) or
    // the spawn fails, the count must still come down.
    struct pending {
      explicit pending(group_state* gs) noexcept : g(gs) {}
      pending(const pending&) = delete;
      ~pending() {
        if (!spawned) g->task_finished();
      }
      group_state* g;
      bool spawned = false;
    };
    auto p = std::make_shared<pending>(&g);
    const bool posted = post(i, [shared, i, p] {
      try {
        spawn(detail::run_started(shared, i, p->g)).detach();
        p->spawned = true;
      } catch (...) {
        // The runtime is shutting down, or the factory threw: the task does not run.
      }
    });
    all = all && posted;
  }
  return all;
}

void runtime_group::wait() {
  auto& g = *state_;
  if (g.on_group_thread()) {
    throw std::system_error(make_error_code(errc::wrong_runtime),
                            "corio::runtime_group::wait from a thread of the group would wait for itself");
  }
  std::unique_lock lock(g.mutex);
  g.cv.wait(lock, [&] { return g.tasks_running == 0; });
}

bool runtime_group::shutdown(std::chrono::nanoseconds deadline) {
  auto& g = *state_;
  if (g.on_group_thread()) {
    throw std::system_error(make_error_code(errc::wrong_runtime),
                            "corio::runtime_group::shutdown from a thread of the group would wait for itself");
  }
  {
    std::lock_guard lock(g.mutex);
    if (g.stopped) return g.result;
    g.stopped = true;
  }
  const bool clean = g.stop_all(detail::clock::now() + deadline);
  std::lock_guard lock(g.mutex);
  g.result = clean;
  return clean;
}

}  // namespace corio
