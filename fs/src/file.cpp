// corio::fs::file: building the awaiters for each operation, and argument checks that answer
// without reaching the driver.
#include <corio/fs/file.hpp>

#include <climits>
#include <fcntl.h>
#include <new>

namespace corio::fs {

using corio::detail::fd_handle;
using corio::detail::fd_kind;

// ---- open ----

namespace detail {

open_awaiter::open_awaiter(path_arg path, const open_options& options) noexcept
    : path_(std::move(path)), append_(options.is_append()) {
  auto flags = options.flags();
  if (!flags) {
    op.result = corio::detail::errc_result(errc::invalid_argument);
    op.state = op_state::done;
    return;
  }
  if (!path_.valid()) {
    op.result = corio::detail::errc_result(errc::invalid_argument);
    op.state = op_state::done;
    return;
  }
  op.flags = *flags;
  op.mode = options.mode();
}

result<file> open_awaiter::await_resume() noexcept {
  if (op.result < 0) return tl::unexpected(corio::detail::op_error(op.result));
  auto rec = corio::detail::adopt_fd(op.result, fd_kind::file);  // closes the fd on failure
  op.result = -1;  // the descriptor now belongs to the record, whatever happens next
  if (!rec) return tl::unexpected(rec.error());
  fd_handle h(*rec);
  try {
    return file(std::move(h), append_);
  } catch (const std::bad_alloc&) {
    return fail_errno(ENOMEM);  // h closes the descriptor
  }
}

}  // namespace detail

file::file(fd_handle fd, bool append)
    : cursor_(std::make_shared<std::uint64_t>(0)), append_(append) {
  fd_ = std::move(fd);  // after the allocation: a bad_alloc leaves the caller owning fd
}

file file::share() const {
  if (!fd_.valid()) return file();
  file f(fd_.share(), append_);
  *f.cursor_ = *cursor_;
  return f;
}

// ---- positional I/O ----

namespace {
template <class Awaiter>
void check_offset(Awaiter& a, std::uint64_t offset) noexcept {
  if (offset > detail::max_offset && a.op.state != corio::detail::op_state::done) a.fail_now(errc::invalid_argument);
}
template <class Awaiter>
void check_iov(Awaiter& a, std::span<const ::iovec> iov) noexcept {
  if (iov.size() > IOV_MAX && a.op.state != corio::detail::op_state::done) a.fail_now(errc::invalid_argument);
}
}  // namespace

detail::read_at_awaiter file::read_at(std::span<std::byte> buf, std::uint64_t offset) noexcept {
  detail::read_at_awaiter a(fd_.record());
  a.op.buf = buf.data();
  a.op.len = buf.size();
  a.op.offset = offset;
  check_offset(a, offset);
  return a;
}

detail::write_at_awaiter file::write_at(std::span<const std::byte> buf, std::uint64_t offset) noexcept {
  detail::write_at_awaiter a(fd_.record());
  a.op.buf = const_cast<std::byte*>(buf.data());  // rw_at_op serves both directions
  a.op.len = buf.size();
  a.op.offset = offset;
  check_offset(a, offset);
  return a;
}

detail::readv_at_awaiter file::readv_at(std::span<const ::iovec> iov, std::uint64_t offset) noexcept {
  detail::readv_at_awaiter a(fd_.record());
  a.op.iov = iov.data();
  a.op.iovcnt = static_cast<int>(iov.size() > IOV_MAX ? 0 : iov.size());
  a.op.offset = offset;
  check_offset(a, offset);
  check_iov(a, iov);
  return a;
}

detail::writev_at_awaiter file::writev_at(std::span<const ::iovec> iov, std::uint64_t offset) noexcept {
  detail::writev_at_awaiter a(fd_.record());
  a.op.iov = iov.data();
  a.op.iovcnt = static_cast<int>(iov.size() > IOV_MAX ? 0 : iov.size());
  a.op.offset = offset;
  check_offset(a, offset);
  check_iov(a, iov);
  return a;
}

namespace {
// Holds its own owner of the descriptor, so the record outlives the loop even if the caller's
// handle is dropped or moved meanwhile.
task<result<void>> write_all_at_impl(fd_handle fd, std::span<const std::byte> buf, std::uint64_t offset) {
  while (!buf.empty()) {
    detail::write_at_awaiter a(fd.record());
    a.op.buf = const_cast<std::byte*>(buf.data());
    a.op.len = buf.size();
    a.op.offset = offset;
    check_offset(a, offset);
    auto n = co_await a;
    if (!n) co_return tl::unexpected(n.error());
    if (*n == 0) co_return fail_errno(EIO);  // a regular file never accepts 0 bytes of a non-empty write
    buf = buf.subspan(*n);
    offset += *n;
  }
  co_return result<void>{};
}
}  // namespace

task<result<void>> file::write_all_at(std::span<const std::byte> buf, std::uint64_t offset) {
  return write_all_at_impl(fd_.share(), buf, offset);
}

// ---- cursor ----

detail::cursor_awaiter<detail::read_at_op> file::read(std::span<std::byte> buf) noexcept {
  detail::cursor_awaiter<detail::read_at_op> a(fd_.record(), cursor_, true);
  a.op().buf = buf.data();
  a.op().len = buf.size();
  return a;
}

detail::cursor_awaiter<detail::write_at_op> file::write(std::span<const std::byte> buf) noexcept {
  detail::cursor_awaiter<detail::write_at_op> a(fd_.record(), cursor_, !append_);
  a.op().buf = const_cast<std::byte*>(buf.data());
  a.op().len = buf.size();
  return a;
}

// ---- sync and metadata ----

detail::fsync_awaiter file::fsync() noexcept {
  detail::fsync_awaiter a(fd_.record());
  a.op.datasync = false;
  return a;
}

detail::fsync_awaiter file::fdatasync() noexcept {
  detail::fsync_awaiter a(fd_.record());
  a.op.datasync = true;
  return a;
}

detail::stat_awaiter<detail::stat_result> file::stat() noexcept {
  return detail::stat_awaiter<detail::stat_result>(fd_.record(), AT_EMPTY_PATH);
}

detail::stat_awaiter<detail::size_result> file::size() noexcept {
  return detail::stat_awaiter<detail::size_result>(fd_.record(), AT_EMPTY_PATH);
}

}  // namespace corio::fs
