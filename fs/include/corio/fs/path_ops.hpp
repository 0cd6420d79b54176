// Operations on paths: remove, rename, create and remove directories, stat and exists. Each
// awaiter owns a copy of its path(s) until the operation completes.
#pragma once

#include <corio/fs/detail/awaiters.hpp>
#include <corio/fs/path_arg.hpp>

#include <sys/types.h>

namespace corio::fs {

/// Removes a file (unlink(2)); a directory gives EISDIR (use remove_dir).
detail::path_awaiter<corio::detail::unlinkat_op> remove(path_arg path) noexcept;
/// Removes an empty directory (rmdir(2)); a non-empty one gives ENOTEMPTY.
detail::path_awaiter<corio::detail::unlinkat_op> remove_dir(path_arg path) noexcept;
/// Creates a directory with `mode` (before the umask); EEXIST if the path exists.
detail::path_awaiter<corio::detail::mkdirat_op> create_dir(path_arg path, ::mode_t mode = 0755) noexcept;
/// Renames `from` to `to` (rename(2)), replacing `to` if it is a file.
detail::rename_awaiter rename(path_arg from, path_arg to) noexcept;
/// Metadata of what `path` names, following symbolic links.
detail::stat_awaiter<detail::stat_result> stat(path_arg path) noexcept;
/// Metadata of `path` itself when it is a symbolic link (lstat).
detail::stat_awaiter<detail::stat_result> symlink_stat(path_arg path) noexcept;
/// True if `path` names something (following links); false on ENOENT or ENOTDIR; other errors
/// (EACCES on a parent directory...) are reported, not guessed into false.
detail::stat_awaiter<detail::exists_result> exists(path_arg path) noexcept;

}  // namespace corio::fs
