// The runtime's timers: one binary min-heap of entries owned by their awaiters, shared by all
// drivers (a driver is only told how long it may sleep). Removal is O(log n) through the
// index each entry keeps.
#pragma once

#include <corio/detail/context.hpp>

#include <optional>
#include <vector>

namespace corio::detail {

class timer_heap {
 public:
  void arm(timer_entry& t);
  void disarm(timer_entry& t) noexcept;
  std::size_t size() const noexcept { return heap_.size(); }
  /// Inline: the loop asks every turn it may sleep, mostly with no timer armed.
  std::optional<clock::time_point> next_deadline() const noexcept {
    if (heap_.empty()) return std::nullopt;
    return heap_.front()->deadline;
  }
  /// Fires (in deadline order) every entry due at `now`; returns how many fired.
  std::size_t fire_due(clock::time_point now);

 private:
  static bool earlier(const timer_entry* a, const timer_entry* b) noexcept;
  void place(std::size_t i, timer_entry* t) noexcept;
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void remove_at(std::size_t i) noexcept;

  std::vector<timer_entry*> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace corio::detail
