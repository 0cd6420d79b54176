// Generic awaitable plumbing: the result type of any awaitable, and wrapping one in a task.
#pragma once

#include <corio/result.hpp>
#include <corio/task.hpp>

#include <type_traits>
#include <utility>

namespace corio::detail {

template <class A>
decltype(auto) get_awaiter(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); }) {
    return std::forward<A>(a).operator co_await();
  } else {
    return std::forward<A>(a);
  }
}
template <class A>
using await_result_t = decltype(get_awaiter(std::declval<A>()).await_resume());

template <class T>
struct is_result : std::false_type {};
template <class T>
struct is_result<result<T>> : std::true_type {};

template <class A>
task<await_result_t<A>> as_task(A a) {
  if constexpr (std::is_void_v<await_result_t<A>>) {
    co_await std::move(a);
  } else {
    co_return co_await std::move(a);
  }
}

}  // namespace corio::detail
