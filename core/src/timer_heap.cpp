#include "core/src/timer_heap.hpp"

namespace corio::detail {

bool timer_heap::earlier(const timer_entry* a, const timer_entry* b) noexcept {
  if (a->deadline != b->deadline) return a->deadline < b->deadline;
  return a->sequence < b->sequence;
}

void timer_heap::place(std::size_t i, timer_entry* t) noexcept {
  heap_[i] = t;
  t->heap_index = i;
}

void timer_heap::sift_up(std::size_t i) noexcept {
  timer_entry* t = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!earlier(t, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void timer_heap::sift_down(std::size_t i) noexcept {
  timer_entry* t = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], t)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, t);
}

void timer_heap::arm(timer_entry& t) {
  if (t.armed()) disarm(t);
  t.sequence = next_sequence_++;
  heap_.push_back(&t);
  t.heap_index = heap_.size() - 1;
  sift_up(t.heap_index);
}

void timer_heap::remove_at(std::size_t i) noexcept {
  timer_entry* gone = heap_[i];
  timer_entry* last = heap_.back();
  heap_.pop_back();
  gone->heap_index = timer_entry::not_armed;
  if (gone == last) return;
  place(i, last);
  if (i > 0 && earlier(last, heap_[(i - 1) / 2])) {
    sift_up(i);
  } else {
    sift_down(i);
  }
}

void timer_heap::disarm(timer_entry& t) noexcept {
  if (t.armed()) remove_at(t.heap_index);
}

std::size_t timer_heap::fire_due(clock::time_point now) {
  std::size_t fired = 0;
  while (!heap_.empty() && heap_.front()->deadline <= now) {
    timer_entry* t = heap_.front();
    remove_at(0);
    t->fire(t);
    ++fired;
  }
  return fired;
}

}  // namespace corio::detail
