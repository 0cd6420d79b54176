// The raw liburing reference for nop_roundtrip: one IORING_OP_NOP prepared, submitted and
// waited for with io_uring_submit_and_wait, its CQE reaped. Same ring setup as corio's driver
// (SINGLE_ISSUER | DEFER_TASKRUN, registered ring descriptor), so the difference is corio.
#include "alloc_counter.hpp"

#include <benchmark/benchmark.h>
#include <liburing.h>

namespace {

void setup(io_uring& ring) {
  const unsigned attempts[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, 0};
  for (unsigned flags : attempts) {
    io_uring_params p{};
    p.flags = flags;
    if (io_uring_queue_init_params(256, &ring, &p) == 0) break;
  }
  io_uring_register_ring_fd(&ring);
}

void uring_nop_raw(benchmark::State& state) {
  io_uring ring;
  setup(ring);
  auto a0 = corio_bench::alloc_now();
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
  auto a1 = corio_bench::alloc_now();
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(a1.count - a0.count), benchmark::Counter::kAvgIterations);
  io_uring_queue_exit(&ring);
}
BENCHMARK(uring_nop_raw);

}  // namespace

BENCHMARK_MAIN();
