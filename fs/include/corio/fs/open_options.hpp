// open_options: how file::open opens a file (access mode, creation, truncation, append,
// permissions). Contradictory combinations are refused with errc::invalid_argument before any
// system call is made.
#pragma once

#include <corio/result.hpp>

#include <sys/types.h>

namespace corio::fs {

/// Builder for file::open: `open_options().write().create().truncate()`.
class open_options {
 public:
  /// Opens for reading.
  open_options& read(bool on = true) noexcept { read_ = on; return *this; }
  /// Opens for writing.
  open_options& write(bool on = true) noexcept { write_ = on; return *this; }
  /// Creates the file if it does not exist (needs write or append).
  open_options& create(bool on = true) noexcept { create_ = on; return *this; }
  /// Truncates an existing file to 0 bytes (needs write, not append).
  open_options& truncate(bool on = true) noexcept { truncate_ = on; return *this; }
  /// Every write goes to the end of the file, whatever offset it names; implies write access.
  open_options& append(bool on = true) noexcept { append_ = on; return *this; }
  /// Creates the file and fails with EEXIST if it exists (O_CREAT|O_EXCL; needs write or append).
  open_options& exclusive(bool on = true) noexcept { exclusive_ = on; return *this; }
  /// Permission bits for a created file (before the umask); 0644 unless set. At most 07777.
  open_options& permissions(::mode_t mode) noexcept { mode_ = mode; return *this; }

  /// The open(2) flags these options mean (O_CLOEXEC included), or errc::invalid_argument for a
  /// contradictory set: no access mode, truncate without write or with append, create or
  /// exclusive without write access, permission bits above 07777.
  result<int> flags() const noexcept;
  /// The permission bits for a created file.
  ::mode_t mode() const noexcept { return mode_; }
  /// True if writes go to the end of the file.
  bool is_append() const noexcept { return append_; }

 private:
  bool read_ = false;
  bool write_ = false;
  bool create_ = false;
  bool truncate_ = false;
  bool append_ = false;
  bool exclusive_ = false;
  ::mode_t mode_ = 0644;
};

}  // namespace corio::fs
