// A counting global allocator for the benchmarks: every operator new (all forms) adds to two
// process-wide counters. Linked into the micro-benchmarks and the memory probe, where a
// benchmark reports allocations per operation as a counter.
#pragma once

#include <cstdint>

namespace corio_bench {

struct alloc_totals {
  std::uint64_t count = 0;  ///< calls to operator new since the process started
  std::uint64_t bytes = 0;  ///< bytes those calls asked for
};

/// The counters now (relaxed reads: exact on the calling thread's own allocations).
alloc_totals alloc_now() noexcept;

}  // namespace corio_bench
