// file_stat: what stat() reports about a file (from statx(2)), backend-independent.
#pragma once

#include <chrono>
#include <cstdint>
#include <sys/stat.h>
#include <sys/types.h>

namespace corio::fs {

/// The kind of a file.
enum class file_type { regular, directory, symlink, block, character, fifo, socket, unknown };

/// Metadata of a file.
struct file_stat {
  std::uint64_t size = 0;       ///< length in bytes
  std::uint64_t blocks = 0;     ///< 512-byte blocks allocated (less than size/512 when sparse)
  file_type type = file_type::unknown;
  ::mode_t permissions = 0;     ///< the permission bits (mode & 07777)
  std::uint64_t inode = 0;      ///< inode number
  std::uint64_t links = 0;      ///< hard link count
  ::uid_t uid = 0;              ///< owner
  ::gid_t gid = 0;              ///< group
  std::chrono::system_clock::time_point modified{};  ///< last modification time

  /// True for a regular file.
  bool is_regular() const noexcept { return type == file_type::regular; }
  /// True for a directory.
  bool is_directory() const noexcept { return type == file_type::directory; }
};

namespace detail {
/// Converts what statx(2) filled in.
file_stat to_file_stat(const struct ::statx& sx) noexcept;
}  // namespace detail

}  // namespace corio::fs
