#include "drivers/blocking_pool/blocking_pool.hpp"

#include <cerrno>
#include <csignal>
#include <pthread.h>

namespace corio::detail {

blocking_pool::blocking_pool(unsigned max_threads, perform_fn perform, notify_fn notify, void* ctx) noexcept
    : max_threads_(max_threads ? max_threads : 1), perform_(perform), notify_(notify), ctx_(ctx) {}

blocking_pool::~blocking_pool() { stop(); }

bool blocking_pool::start_worker() noexcept {
  // Workers block every signal: signals are the application's, delivered to its own threads.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  bool ok = true;
  try {
    threads_.emplace_back([this] { work(); });
  } catch (...) {  // std::system_error (thread limit) or bad_alloc
    ok = false;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return ok;
}

int blocking_pool::push(op_base& op) noexcept {
  std::lock_guard lock(mu_);
  pending_.push_back(op);
  ++queued_;
  // A new worker starts only when no idle one is free to take this job.
  if (queued_ > idle_ && threads_.size() < max_threads_ && !start_worker() && threads_.empty()) {
    pending_.remove(op);
    --queued_;
    return -EAGAIN;
  }
  cv_.notify_one();
  return 0;
}

bool blocking_pool::cancel(op_base& op) noexcept {
  std::lock_guard lock(mu_);
  // A search, not op_list::contains: a finished job is linked in done_ instead.
  op_base* it = pending_.front();
  while (it && it != &op) it = it->drv_next;
  if (!it) return false;  // running, or finished and waiting in done_
  pending_.remove(op);
  --queued_;
  return true;
}

op_list blocking_pool::take_done() noexcept {
  std::lock_guard lock(mu_);
  return done_.take_all();
}

void blocking_pool::stop() noexcept {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void blocking_pool::work() noexcept {
  std::unique_lock lock(mu_);
  for (;;) {
    while (!stop_ && pending_.empty()) {
      ++idle_;
      cv_.wait(lock);
      --idle_;
    }
    if (stop_) return;
    op_base& op = *pending_.pop_front();
    --queued_;
    lock.unlock();
    const int res = perform_(op);
    lock.lock();
    op.result = res;
    const bool first = done_.empty();
    done_.push_back(op);
    if (first) notify_(ctx_);  // later ones ride on the same notification
  }
}

}  // namespace corio::detail
