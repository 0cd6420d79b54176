// Micro-benchmarks of the runtime itself, on whichever driver this build uses:
//   nop_roundtrip   one operation through the driver and back (detail::nop_op)
//   spawn_join      spawn a task that returns at once, await its join handle
//   sleep_zero      arm a timer for 0 ns and wait for it to fire
//   yield           yield_now(): back through the ready queue
//   task_await      co_await a child task<int> (the cost of a nested coroutine frame)
//   memory_per_task heap bytes held by each of 10,000 spawned tasks parked on a timer
//   uring_nop_raw   (where liburing is found) the reference for nop_roundtrip: IORING_OP_NOP
//                   prepared, io_uring_submit_and_wait, CQE reaped, on a ring set up like corio's
//                   (SINGLE_ISSUER | DEFER_TASKRUN, registered ring descriptor); in the same
//                   process so that the two are measured back to back
// Every benchmark reports heap allocations (and bytes) per iteration from a counting global
// operator new: "allocs/op" must be 0 on the I/O hot path.
#include "alloc_counter.hpp"

#include <benchmark/benchmark.h>
#include <corio/corio.hpp>
#include <corio/detail/op_awaiter.hpp>

#include <chrono>
#include <vector>

#if defined(CORIO_BENCH_HAVE_URING)
#include <liburing.h>
#endif

namespace {

using namespace std::chrono_literals;
using corio_bench::alloc_now;
using corio_bench::alloc_totals;

void report_allocs(benchmark::State& state, alloc_totals before) {
  alloc_totals after = alloc_now();
  state.counters["allocs/op"] = benchmark::Counter(static_cast<double>(after.count - before.count),
                                                   benchmark::Counter::kAvgIterations);
  state.counters["bytes/op"] = benchmark::Counter(static_cast<double>(after.bytes - before.bytes),
                                                  benchmark::Counter::kAvgIterations);
}

corio::task<void> nop_loop(benchmark::State& state) {
  using nop_awaiter = corio::detail::op_awaiter<corio::detail::nop_op, corio::detail::int_result>;
  co_await nop_awaiter();  // warm the loop
  alloc_totals a0 = alloc_now();
  for (auto _ : state) {
    auto r = co_await nop_awaiter();
    benchmark::DoNotOptimize(r);
  }
  report_allocs(state, a0);
}

void nop_roundtrip(benchmark::State& state) {
  corio::runtime rt;
  rt.block_on(nop_loop(state));
}
BENCHMARK(nop_roundtrip);

#if defined(CORIO_BENCH_HAVE_URING)
void uring_nop_raw(benchmark::State& state) {
  io_uring ring;
  const unsigned attempts[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, 0};
  int rc = -1;
  for (unsigned flags : attempts) {
    io_uring_params p{};
    p.flags = flags;
    if ((rc = io_uring_queue_init_params(256, &ring, &p)) == 0) break;
  }
  if (rc != 0) {
    state.SkipWithError("io_uring_queue_init failed");
    return;
  }
  io_uring_register_ring_fd(&ring);
  alloc_totals a0 = alloc_now();
  for (auto _ : state) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 1);
    io_uring_submit_and_wait(&ring, 1);
    io_uring_cqe* cqe;
    io_uring_peek_cqe(&ring, &cqe);
    benchmark::DoNotOptimize(cqe->res);
    io_uring_cqe_seen(&ring, cqe);
  }
  report_allocs(state, a0);
  io_uring_queue_exit(&ring);
}
BENCHMARK(uring_nop_raw);
#endif

corio::task<int> answer() { co_return 42; }

corio::task<void> spawn_loop(benchmark::State& state) {
  alloc_totals a0 = alloc_now();
  for (auto _ : state) {
    auto r = co_await corio::spawn(answer());
    benchmark::DoNotOptimize(r);
  }
  report_allocs(state, a0);
}

void spawn_join(benchmark::State& state) {
  corio::runtime rt;
  rt.block_on(spawn_loop(state));
}
BENCHMARK(spawn_join);

corio::task<void> sleep_loop(benchmark::State& state) {
  alloc_totals a0 = alloc_now();
  for (auto _ : state) co_await corio::sleep_for(0ns);
  report_allocs(state, a0);
}

void sleep_zero(benchmark::State& state) {
  corio::runtime rt;
  rt.block_on(sleep_loop(state));
}
BENCHMARK(sleep_zero);

corio::task<void> yield_loop(benchmark::State& state) {
  alloc_totals a0 = alloc_now();
  for (auto _ : state) co_await corio::yield_now();
  report_allocs(state, a0);
}

void yield(benchmark::State& state) {
  corio::runtime rt;
  rt.block_on(yield_loop(state));
}
BENCHMARK(yield);

corio::task<void> await_loop(benchmark::State& state) {
  alloc_totals a0 = alloc_now();
  for (auto _ : state) {
    int v = co_await answer();
    benchmark::DoNotOptimize(v);
  }
  report_allocs(state, a0);
}

void task_await(benchmark::State& state) {
  corio::runtime rt;
  rt.block_on(await_loop(state));
}
BENCHMARK(task_await);

// ---- memory: bytes per spawned task ----
corio::task<void> parked() { co_await corio::sleep_for(1h); }

corio::task<void> park_many(benchmark::State& state, int n) {
  std::vector<corio::join_handle<void>> handles;
  handles.reserve(static_cast<std::size_t>(n));
  for (auto _ : state) {
    alloc_totals a0 = alloc_now();
    for (int i = 0; i < n; ++i) handles.push_back(corio::spawn(parked()));
    co_await corio::yield_now();  // let every task start and park on its timer
    alloc_totals a1 = alloc_now();
    state.counters["bytes/task"] = static_cast<double>(a1.bytes - a0.bytes) / n;
    state.counters["allocs/task"] = static_cast<double>(a1.count - a0.count) / n;
    for (auto& h : handles) h.cancel();
    for (auto& h : handles) (void)co_await h;
    handles.clear();
  }
}

void memory_per_task(benchmark::State& state) {
  corio::runtime rt;
  rt.block_on(park_many(state, 10'000));
}
BENCHMARK(memory_per_task)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
