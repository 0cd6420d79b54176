// Recycled memory for coroutine frames and spawned-task state. Every task call allocates a
// frame; a server makes millions of them. Freed frames are kept per thread in free lists by
// size class (64-byte steps up to 1 KiB, at most 128 per class), so after warm-up a task call
// or a spawn costs no malloc. Larger frames go straight to operator new.
//
// Under AddressSanitizer or ThreadSanitizer the pool is off: every frame is a plain allocation,
// so a use after free of a frame is still caught.
#pragma once

#include <cstddef>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CORIO_FRAME_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CORIO_FRAME_POOL 0
#endif
#endif
#ifndef CORIO_FRAME_POOL
#define CORIO_FRAME_POOL 1
#endif

namespace corio::detail {

#if CORIO_FRAME_POOL
void* frame_allocate(std::size_t size);
void frame_release(void* p, std::size_t size) noexcept;
#else
inline void* frame_allocate(std::size_t size) { return ::operator new(size); }
inline void frame_release(void* p, std::size_t) noexcept { ::operator delete(p); }  // unsized: clang 14 has no sized delete by default
#endif

/// Mixed into a promise type or a heap-allocated state: its allocations use the pool.
struct pooled {
  static void* operator new(std::size_t size) { return frame_allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { frame_release(p, size); }
};

}  // namespace corio::detail
