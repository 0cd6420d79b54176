// corio::result<T> and corio's own error conditions.
#pragma once

#include <cerrno>
#include <system_error>
#include <tl/expected.hpp>

namespace corio {

/// Every fallible call returns result<T>: the value, or an error_code (errno values in the
/// system category, corio's own conditions in corio::error_category()).
template <class T>
using result = tl::expected<T, std::error_code>;

/// corio's own error conditions (system errors keep their errno values).
enum class errc {
  timed_out = 1,          ///< timeout() expired before the operation finished
  no_runtime,             ///< an operation was started on a thread with no running runtime
  nested_block_on,        ///< block_on() called while this thread already runs a runtime
  wrong_runtime,          ///< a handle was used on a runtime other than the one that owns it
  closed_handle,          ///< the handle is closed, moved-from or empty
  runtime_gone,           ///< the runtime that owned the handle was destroyed
  shutting_down,          ///< the runtime is shutting down and accepts no new work
  mismatched_halves,      ///< reunite() was given halves of two different streams
  invalid_argument,       ///< a malformed argument (address text, buffer, option)
  unsupported,            ///< this backend cannot do this; the message names the backend
  end_of_stream,          ///< the peer ended the stream before the bytes asked for arrived
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// An error_code for a positive errno value.
inline std::error_code errno_code(int err) noexcept { return {err, std::system_category()}; }

/// True for errors that last until something else frees a resource: EMFILE, ENFILE (no
/// descriptor), ENOBUFS, ENOMEM. An accept loop that gets one should pause (the client waits in
/// the backlog) instead of retrying at once and spinning.
/// Compares the category by address and the errno by value: no call on the category object, so
/// it is safe at EMFILE under UBSan, whose vptr check needs a descriptor of its own (a pipe).
inline bool is_resource_exhausted(const std::error_code& e) noexcept {
  if (&e.category() != &std::system_category() && &e.category() != &std::generic_category()) return false;
  const int v = e.value();
  return v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM;
}

/// Helpers for returning errors: `return corio::fail(errc::timed_out);`
inline tl::unexpected<std::error_code> fail(errc e) noexcept { return tl::unexpected(make_error_code(e)); }
inline tl::unexpected<std::error_code> fail_errno(int err) noexcept {
  return tl::unexpected(errno_code(err));
}

/// Turns a kernel-style result (>= 0 value, < 0 -errno) into result<T>.
template <class T>
result<T> from_syscall(long res) noexcept {
  if (res < 0) return fail_errno(static_cast<int>(-res));
  return static_cast<T>(res);
}
inline result<void> from_syscall_void(long res) noexcept {
  if (res < 0) return fail_errno(static_cast<int>(-res));
  return {};
}

}  // namespace corio

template <>
struct std::is_error_code_enum<corio::errc> : std::true_type {};
