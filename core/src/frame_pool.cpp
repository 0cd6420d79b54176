#include <corio/detail/frame_pool.hpp>

#if CORIO_FRAME_POOL

#include <cstdint>
#include <utility>

namespace corio::detail {

namespace {

constexpr std::size_t granule = 64;
constexpr std::size_t classes = 16;  // up to 1 KiB
constexpr std::uint32_t max_per_class = 128;

struct free_block {
  free_block* next;
};

/// One thread's free lists. Blocks freed on another thread than the one that allocated them
/// simply join that thread's lists: the memory came from operator new either way.
struct frame_cache {
  free_block* head[classes] = {};
  std::uint32_t count[classes] = {};
  ~frame_cache();
};

// Frames may still be freed after this thread's cache is gone (destructors of thread_local or
// static objects that own tasks): they then go straight back to operator delete.
thread_local bool cache_gone = false;
thread_local frame_cache cache;

frame_cache::~frame_cache() {
  cache_gone = true;
  for (auto*& h : head) {
    while (h) ::operator delete(std::exchange(h, h->next));
  }
}

std::size_t class_of(std::size_t size) noexcept { return (size - 1) / granule; }

}  // namespace

void* frame_allocate(std::size_t size) {
  const std::size_t c = class_of(size);
  if (c >= classes || cache_gone) return ::operator new(size);
  frame_cache& fc = cache;
  if (free_block* b = fc.head[c]) {
    fc.head[c] = b->next;
    --fc.count[c];
    return b;
  }
  return ::operator new((c + 1) * granule);
}

void frame_release(void* p, std::size_t size) noexcept {
  const std::size_t c = class_of(size);
  if (c >= classes) return ::operator delete(p);
  if (cache_gone) return ::operator delete(p);
  frame_cache& fc = cache;
  if (fc.count[c] >= max_per_class) return ::operator delete(p);
  auto* b = static_cast<free_block*>(p);
  b->next = fc.head[c];
  fc.head[c] = b;
  ++fc.count[c];
}

}  // namespace corio::detail

#endif
