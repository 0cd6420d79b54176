// The quick-start demo: prints the backend, then runs thousands of tasks and timers.
#include <corio/corio.hpp>

#include <chrono>
#include <cstdio>
#include <vector>

using namespace std::chrono_literals;

corio::task<int> worker(int id) {
  co_await corio::sleep_for(std::chrono::milliseconds(id % 20));
  co_await corio::yield_now();
  co_return id;
}

corio::task<long> run(int n) {
  std::vector<corio::join_handle<int>> handles;
  handles.reserve(n);
  for (int i = 0; i < n; ++i) handles.push_back(corio::spawn(worker(i)));
  long sum = 0;
  for (auto& h : handles) sum += (co_await h).value();
  auto timed = co_await corio::timeout(10ms, corio::sleep_for(1s));
  std::printf("timeout(10ms, sleep 1s): %s\n", timed ? "finished" : timed.error().message().c_str());
  co_return sum;
}

int main() {
  corio::runtime rt;
  std::printf("corio backend: %.*s\n", static_cast<int>(rt.backend().size()), rt.backend().data());
  const int n = 5000;
  auto t0 = std::chrono::steady_clock::now();
  long sum = rt.block_on(run(n));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  auto s = rt.stats();
  std::printf("%d tasks, each with a timer: sum %ld in %lld ms (tasks spawned %llu, live %llu)\n", n, sum,
              static_cast<long long>(ms.count()), static_cast<unsigned long long>(s.tasks_spawned),
              static_cast<unsigned long long>(s.tasks_live));
  return sum == static_cast<long>(n) * (n - 1) / 2 ? 0 : 1;
}
