// An intrusive FIFO of ready nodes (operations are ready nodes too). Pushing never allocates.
#pragma once

#include <corio/detail/ops.hpp>

namespace corio::detail {

class node_queue {
 public:
  bool empty() const noexcept { return head_ == nullptr; }

  void push(ready_node& n) noexcept {
    n.next = nullptr;
    if (tail_) {
      tail_->next = &n;
    } else {
      head_ = &n;
    }
    tail_ = &n;
  }

  ready_node* pop() noexcept {
    ready_node* n = head_;
    if (n) {
      head_ = n->next;
      if (!head_) tail_ = nullptr;
      n->next = nullptr;
    }
    return n;
  }

  /// Moves every node out, leaving this queue empty (lets the loop run one batch at a time).
  node_queue take_all() noexcept {
    node_queue out;
    out.head_ = head_;
    out.tail_ = tail_;
    head_ = tail_ = nullptr;
    return out;
  }

  /// Removes n if present (linear; used only on cancellation paths).
  bool remove(ready_node& n) noexcept {
    ready_node* prev = nullptr;
    for (ready_node* it = head_; it; prev = it, it = it->next) {
      if (it != &n) continue;
      (prev ? prev->next : head_) = it->next;
      if (tail_ == it) tail_ = prev;
      it->next = nullptr;
      return true;
    }
    return false;
  }

 private:
  ready_node* head_ = nullptr;
  ready_node* tail_ = nullptr;
};

/// Where a driver puts finished operations: result set, op pushed. The core takes it from there.
using completion_queue = node_queue;

inline void complete(completion_queue& q, op_base& op, int result) noexcept {
  op.result = result;
  q.push(op);
}

}  // namespace corio::detail
