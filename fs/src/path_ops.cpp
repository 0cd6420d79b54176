// Path operations: each builds an awaiter owning its path; the kernel call is in the driver.
#include <corio/fs/path_ops.hpp>

#include <cerrno>
#include <fcntl.h>

namespace corio::fs {

namespace detail {
result<bool> exists_result(const corio::detail::op_base& op, const struct ::statx&) noexcept {
  if (op.result >= 0) return true;
  if (op.result == -ENOENT || op.result == -ENOTDIR) return false;
  return tl::unexpected(corio::detail::op_error(op.result));
}
}  // namespace detail

detail::path_awaiter<corio::detail::unlinkat_op> remove(path_arg path) noexcept {
  detail::path_awaiter<corio::detail::unlinkat_op> a(std::move(path));
  a.op.flags = 0;
  return a;
}

detail::path_awaiter<corio::detail::unlinkat_op> remove_dir(path_arg path) noexcept {
  detail::path_awaiter<corio::detail::unlinkat_op> a(std::move(path));
  a.op.flags = AT_REMOVEDIR;
  return a;
}

detail::path_awaiter<corio::detail::mkdirat_op> create_dir(path_arg path, ::mode_t mode) noexcept {
  detail::path_awaiter<corio::detail::mkdirat_op> a(std::move(path));
  a.op.mode = mode;
  if (mode & ~static_cast<::mode_t>(07777)) a.fail_now(errc::invalid_argument);
  return a;
}

detail::rename_awaiter rename(path_arg from, path_arg to) noexcept {
  return detail::rename_awaiter(std::move(from), std::move(to));
}

detail::stat_awaiter<detail::stat_result> stat(path_arg path) noexcept {
  return detail::stat_awaiter<detail::stat_result>(std::move(path), 0);
}

detail::stat_awaiter<detail::stat_result> symlink_stat(path_arg path) noexcept {
  return detail::stat_awaiter<detail::stat_result>(std::move(path), AT_SYMLINK_NOFOLLOW);
}

detail::stat_awaiter<detail::exists_result> exists(path_arg path) noexcept {
  return detail::stat_awaiter<detail::exists_result>(std::move(path), 0);
}

}  // namespace corio::fs
