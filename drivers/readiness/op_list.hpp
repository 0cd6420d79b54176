// An intrusive FIFO of operations, linked through op_base::drv_prev / drv_next (the links a
// driver owns while an operation is in flight). Pushing and removing never allocate.
#pragma once

#include <corio/detail/ops.hpp>

namespace corio::detail {

/// Invariant: an operation in no op_list has both links null, so membership is O(1).
class op_list {
 public:
  op_list() noexcept = default;
  op_list(const op_list&) = delete;
  op_list& operator=(const op_list&) = delete;
  op_list(op_list&& o) noexcept : head_(o.head_), tail_(o.tail_) { o.head_ = o.tail_ = nullptr; }

  bool empty() const noexcept { return head_ == nullptr; }
  op_base* front() const noexcept { return head_; }

  /// True if op is in this list, given that it is in this list or in none.
  bool contains(const op_base& op) const noexcept { return op.drv_prev != nullptr || head_ == &op; }

  void push_back(op_base& op) noexcept {
    op.drv_next = nullptr;
    op.drv_prev = tail_;
    (tail_ ? tail_->drv_next : head_) = &op;
    tail_ = &op;
  }

  /// op must be in this list.
  void remove(op_base& op) noexcept {
    (op.drv_prev ? op.drv_prev->drv_next : head_) = op.drv_next;
    (op.drv_next ? op.drv_next->drv_prev : tail_) = op.drv_prev;
    op.drv_prev = op.drv_next = nullptr;
  }

  /// Removes the head (the list must not be empty): remove() without the tests the head needs
  /// not (it has no predecessor).
  void remove_front() noexcept {
    op_base* op = head_;
    head_ = op->drv_next;
    (head_ ? head_->drv_prev : tail_) = nullptr;
    op->drv_next = nullptr;
  }

  op_base* pop_front() noexcept {
    op_base* op = head_;
    if (op) remove_front();
    return op;
  }

  /// Moves every operation out, leaving this list empty.
  op_list take_all() noexcept { return op_list(std::move(*this)); }

 private:
  op_base* head_ = nullptr;
  op_base* tail_ = nullptr;
};

}  // namespace corio::detail
