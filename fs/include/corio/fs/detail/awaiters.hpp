// The awaiters behind corio::fs. File operations on a descriptor use core's op_awaiter as is;
// the ones here add what op_awaiter cannot hold: an owned path (bound to the operation only
// when it starts, so moving the awaiter before that is safe), a statx buffer, or the cursor.
#pragma once

#include <corio/detail/op_awaiter.hpp>
#include <corio/fs/file_stat.hpp>
#include <corio/fs/path_arg.hpp>

#include <cstdint>
#include <memory>
#include <sys/stat.h>

namespace corio::fs::detail {

using corio::detail::fd_record;
using corio::detail::op_kind;
using corio::detail::op_state;

// The positional operations, each with its kind fixed so op_awaiter can default-construct it.
struct read_at_op : corio::detail::rw_at_op {
  read_at_op() noexcept : rw_at_op(op_kind::read_at) {}
};
struct write_at_op : corio::detail::rw_at_op {
  write_at_op() noexcept : rw_at_op(op_kind::write_at) {}
};
struct readv_at_op : corio::detail::rwv_at_op {
  readv_at_op() noexcept : rwv_at_op(op_kind::readv_at) {}
};
struct writev_at_op : corio::detail::rwv_at_op {
  writev_at_op() noexcept : rwv_at_op(op_kind::writev_at) {}
};

using read_at_awaiter = corio::detail::op_awaiter<read_at_op, corio::detail::size_result>;
using write_at_awaiter = corio::detail::op_awaiter<write_at_op, corio::detail::size_result>;
using readv_at_awaiter = corio::detail::op_awaiter<readv_at_op, corio::detail::size_result>;
using writev_at_awaiter = corio::detail::op_awaiter<writev_at_op, corio::detail::size_result>;
using fsync_awaiter = corio::detail::op_awaiter<corio::detail::fsync_op, corio::detail::void_result>;

/// Offsets above this would be negative loff_t (and -1 means "current position" to io_uring).
constexpr std::uint64_t max_offset = static_cast<std::uint64_t>(INT64_MAX);

/// The cursor of one file handle. Heap-held so that moving the handle while a cursor operation
/// is in flight, or dropping it, leaves the awaiter something valid to update.
using cursor_ptr = std::shared_ptr<std::uint64_t>;

/// read()/write() at the handle's cursor: the offset is taken when the operation starts and the
/// cursor advances by what was transferred (not for appending writes: they land at the end).
template <class Op>
class [[nodiscard]] cursor_awaiter {
 public:
  cursor_awaiter(fd_record* fd, cursor_ptr cursor, bool advance) noexcept
      : inner_(fd), cursor_(std::move(cursor)), advance_(advance) {
    if (!cursor_ && inner_.op.state != op_state::done) inner_.fail_now(errc::closed_handle);
  }
  /// The buffer (set by the factory).
  Op& op() noexcept { return inner_.op; }

  bool await_ready() const noexcept { return inner_.await_ready(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    inner_.op.offset = *cursor_;
    if (*cursor_ > max_offset) {  // seek() went past what a file offset can be
      inner_.fail_now(errc::invalid_argument);
      return false;
    }
    return inner_.await_suspend(h);
  }
  result<std::size_t> await_resume() noexcept {
    auto r = corio::detail::size_result(inner_.op);
    if (r && advance_) *cursor_ += *r;
    return r;
  }

 private:
  corio::detail::op_awaiter<Op, corio::detail::size_result> inner_;
  cursor_ptr cursor_;
  bool advance_;
};

/// An operation naming one path (unlinkat, mkdirat).
template <class Op>
class [[nodiscard]] path_awaiter {
 public:
  explicit path_awaiter(path_arg path) noexcept : path_(std::move(path)) {
    if (!path_.valid()) fail_now(errc::invalid_argument);
  }
  void fail_now(errc e) noexcept {
    op.result = corio::detail::errc_result(e);
    op.state = op_state::done;
  }
  bool await_ready() const noexcept { return op.state == op_state::done; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    op.path = path_.c_str();  // bound now: the awaiter no longer moves
    return corio::detail::start_op(op, h);
  }
  result<void> await_resume() const noexcept { return corio::detail::void_result(op); }

  Op op;

 private:
  path_arg path_;
};

/// renameat: two paths.
class [[nodiscard]] rename_awaiter {
 public:
  rename_awaiter(path_arg from, path_arg to) noexcept : from_(std::move(from)), to_(std::move(to)) {
    if (!from_.valid() || !to_.valid()) {
      op.result = corio::detail::errc_result(errc::invalid_argument);
      op.state = op_state::done;
    }
  }
  bool await_ready() const noexcept { return op.state == op_state::done; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    op.oldpath = from_.c_str();
    op.newpath = to_.c_str();
    return corio::detail::start_op(op, h);
  }
  result<void> await_resume() const noexcept { return corio::detail::void_result(op); }

  corio::detail::renameat_op op;

 private:
  path_arg from_;
  path_arg to_;
};

/// statx of a path, or of a descriptor (fd set, empty path, AT_EMPTY_PATH). Convert turns the
/// finished operation and the buffer into what the caller asked for (stat, size, exists).
template <auto Convert>
class [[nodiscard]] stat_awaiter {
 public:
  /// Of a path; flags are AT_* (AT_SYMLINK_NOFOLLOW...).
  stat_awaiter(path_arg path, int flags) noexcept : path_(std::move(path)) {
    op.flags = flags;
    if (!path_.valid()) fail_now(errc::invalid_argument);
  }
  /// Of a descriptor (null: a closed handle).
  stat_awaiter(fd_record* fd, int empty_path_flag) noexcept : path_("") {
    op.fd = fd;
    op.flags = empty_path_flag;
    if (!fd) fail_now(errc::closed_handle);
  }
  void fail_now(errc e) noexcept {
    op.result = corio::detail::errc_result(e);
    op.state = op_state::done;
  }
  bool await_ready() const noexcept { return op.state == op_state::done; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    op.path = path_.c_str();
    op.mask = STATX_BASIC_STATS;
    op.out = &buf_;
    return corio::detail::start_op(op, h);
  }
  decltype(auto) await_resume() const noexcept { return Convert(op, buf_); }

  corio::detail::statx_op op;

 private:
  path_arg path_;
  struct ::statx buf_ {};
};

// Conversions of a finished statx.
inline result<file_stat> stat_result(const corio::detail::op_base& op, const struct ::statx& sx) noexcept {
  if (op.result < 0) return tl::unexpected(corio::detail::op_error(op.result));
  return to_file_stat(sx);
}
inline result<std::uint64_t> size_result(const corio::detail::op_base& op, const struct ::statx& sx) noexcept {
  if (op.result < 0) return tl::unexpected(corio::detail::op_error(op.result));
  return static_cast<std::uint64_t>(sx.stx_size);
}
/// exists(): ENOENT and ENOTDIR mean "no"; other errors (EACCES...) stay errors.
result<bool> exists_result(const corio::detail::op_base& op, const struct ::statx& sx) noexcept;

}  // namespace corio::fs::detail
