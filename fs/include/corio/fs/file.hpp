// corio::fs::file: an open file. Positional reads and writes (many may be in flight at once on
// one file), a per-handle cursor, fsync, stat, and close that waits for the other owners.
// Backends: io_uring issues every operation natively; epoll runs them on its blocking pool;
// libuv uses uv_fs_*. The behaviour is the same on all three.
#pragma once

#include <corio/detail/fd_handle.hpp>
#include <corio/fs/detail/awaiters.hpp>
#include <corio/fs/file_stat.hpp>
#include <corio/fs/open_options.hpp>
#include <corio/fs/path_arg.hpp>
#include <corio/task.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <sys/uio.h>

namespace corio::fs {

class file;

namespace detail {

/// openat: on success the new descriptor becomes a file (a cancelled open's descriptor is closed
/// by the core, never leaked).
class [[nodiscard]] open_awaiter {
 public:
  open_awaiter(path_arg path, const open_options& options) noexcept;
  bool await_ready() const noexcept { return op.state == op_state::done; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    op.path = path_.c_str();
    return corio::detail::start_op(op, h);
  }
  result<file> await_resume() noexcept;

  corio::detail::openat_op op;

 private:
  path_arg path_;
  bool append_ = false;
};

}  // namespace detail

/// An open file. Move-only; share() makes another owner of the same descriptor. Dropping the
/// last owner closes the descriptor asynchronously (after any operation still in flight on it).
/// Buffers passed to an operation must stay alive until the operation is awaited to completion.
class file {
 public:
  /// An empty handle (every operation on it yields errc::closed_handle).
  file() noexcept = default;

  /// Opens `path`. Bad option combinations give errc::invalid_argument without a system call.
  static detail::open_awaiter open(path_arg path, const open_options& options = open_options().read()) noexcept {
    return detail::open_awaiter(std::move(path), options);
  }
  /// Opens `path` for writing, creating it or truncating it (permissions 0644 before umask).
  static detail::open_awaiter create(path_arg path) noexcept {
    return open(std::move(path), open_options().write().create().truncate());
  }

  /// True while this handle owns a descriptor.
  bool is_open() const noexcept { return fd_.valid(); }
  explicit operator bool() const noexcept { return is_open(); }
  /// The raw descriptor (-1 when empty). Do not close it.
  int native_handle() const noexcept { return fd_.native(); }
  /// The shared descriptor record (for corio internals).
  corio::detail::fd_record* record() const noexcept { return fd_.record(); }

  /// Reads up to buf.size() bytes at `offset`; 0 at or past the end of the file. A short count
  /// is normal near the end. Offsets above INT64_MAX give errc::invalid_argument.
  detail::read_at_awaiter read_at(std::span<std::byte> buf, std::uint64_t offset) noexcept;
  /// Writes up to buf.size() bytes at `offset` (a short count is possible: see write_all_at).
  /// In append mode the kernel writes at the end of the file whatever the offset.
  detail::write_at_awaiter write_at(std::span<const std::byte> buf, std::uint64_t offset) noexcept;
  /// Scatter read at `offset`; the iovec array and buffers must outlive the await.
  detail::readv_at_awaiter readv_at(std::span<const ::iovec> iov, std::uint64_t offset) noexcept;
  /// Gather write at `offset`; the iovec array and buffers must outlive the await.
  detail::writev_at_awaiter writev_at(std::span<const ::iovec> iov, std::uint64_t offset) noexcept;
  /// Writes every byte of buf starting at `offset` (several writes if the kernel writes short).
  task<result<void>> write_all_at(std::span<const std::byte> buf, std::uint64_t offset);

  /// Reads at this handle's cursor and advances it by the bytes read. Several cursor operations
  /// in flight on one handle all start at the same position: use read_at for concurrency.
  detail::cursor_awaiter<detail::read_at_op> read(std::span<std::byte> buf) noexcept;
  /// Writes at this handle's cursor and advances it. In append mode the data goes to the end of
  /// the file and the cursor does not move.
  detail::cursor_awaiter<detail::write_at_op> write(std::span<const std::byte> buf) noexcept;
  /// The cursor: where the next read()/write() starts (0 after open).
  std::uint64_t position() const noexcept { return cursor_ ? *cursor_ : 0; }
  /// Moves the cursor (past the end is allowed: a read there gives 0, a write there leaves a hole).
  void seek(std::uint64_t offset) noexcept {
    if (cursor_) *cursor_ = offset;
  }

  /// fsync(2): data and metadata reach stable storage.
  detail::fsync_awaiter fsync() noexcept;
  /// fdatasync(2): data (and the metadata needed to read it back) reach stable storage.
  detail::fsync_awaiter fdatasync() noexcept;

  /// Metadata of the open file (fstat, through statx with AT_EMPTY_PATH).
  detail::stat_awaiter<detail::stat_result> stat() noexcept;
  /// The file's current size in bytes.
  detail::stat_awaiter<detail::size_result> size() noexcept;

  /// Gives up this handle, waits until every other owner has let go, closes the descriptor and
  /// yields the close's own result. An empty handle yields errc::closed_handle.
  corio::detail::fd_handle::close_awaiter close() noexcept {
    cursor_.reset();
    return fd_.close();
  }
  /// Another owner of the same descriptor, with its own cursor starting at this one's position.
  /// Sharing an empty handle gives an empty handle.
  file share() const;

  /// Builds a file from an owned descriptor record (used by open).
  file(corio::detail::fd_handle fd, bool append);

 private:
  corio::detail::fd_handle fd_;
  detail::cursor_ptr cursor_;
  bool append_ = false;
};

}  // namespace corio::fs
