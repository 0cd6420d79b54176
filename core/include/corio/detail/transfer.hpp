// Symmetric transfer that cannot overflow the stack.
//
// Returning a coroutine handle from await_suspend is meant to be a tail call, but GCC at -O1,
// under ASan, and sometimes at -O2 makes it a real call: a loop of co_awaits that complete
// without suspending (a task that returns at once, a timeout() around a ready channel) then
// nests one frame pair per iteration until the stack overflows. Every handle-returning
// suspension in corio goes through transfer(): while the stack stays within a budget above the
// run loop it is the plain tail call (one compare); past it, the coroutine is handed to the
// loop to resume on a fresh stack ("bounced"), and the chain unwinds.
#pragma once

#include <corio/detail/context.hpp>

#include <coroutine>
#include <cstdint>

namespace corio::detail {

/// How deep a chain of resumptions may go above the loop's frame before it bounces.
constexpr std::uintptr_t stack_budget = 64 * 1024;

/// The lowest stack address a resumption chain may reach on this thread before it bounces;
/// 0 outside the run loop (nothing bounces there: no loop would resume it).
inline thread_local std::uintptr_t tls_stack_floor = 0;

/// Queues h (with the current scope) for the loop to resume once this chain has unwound.
void bounce(std::coroutine_handle<> h) noexcept;

/// The current stack position. A local's address costs one lea where the frame address would
/// force a frame pointer on every coroutine; under ASan a local may live on its fake stack, so
/// the frame address is used there.
[[gnu::always_inline]] inline std::uintptr_t stack_position() noexcept {
#if defined(__SANITIZE_ADDRESS__)
  return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
#else
  char probe;
  return reinterpret_cast<std::uintptr_t>(&probe);
#endif
}

/// What await_suspend returns to run h next: h itself, or a no-op after bouncing it.
[[gnu::always_inline]] inline std::coroutine_handle<> transfer(std::coroutine_handle<> h) noexcept {
  if (stack_position() < tls_stack_floor) [[unlikely]] {
    bounce(h);
    return std::noop_coroutine();
  }
  return h;
}

}  // namespace corio::detail
