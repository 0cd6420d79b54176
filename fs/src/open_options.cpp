#include <corio/fs/open_options.hpp>

#include <fcntl.h>

namespace corio::fs {

result<int> open_options::flags() const noexcept {
  const bool writes = write_ || append_;
  if (!read_ && !writes) return fail(errc::invalid_argument);         // no access mode
  if (truncate_ && (!writes || append_)) return fail(errc::invalid_argument);
  if ((create_ || exclusive_) && !writes) return fail(errc::invalid_argument);
  if (mode_ & ~static_cast<::mode_t>(07777)) return fail(errc::invalid_argument);

  int f = O_CLOEXEC;
  f |= read_ && writes ? O_RDWR : writes ? O_WRONLY : O_RDONLY;
  if (append_) f |= O_APPEND;
  if (truncate_) f |= O_TRUNC;
  if (create_ || exclusive_) f |= O_CREAT;
  if (exclusive_) f |= O_EXCL;
  return f;
}

}  // namespace corio::fs
