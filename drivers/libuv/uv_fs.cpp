// Files and paths on libuv: uv_fs_* requests on libuv's thread pool, recycled through a free
// list (no allocation per operation once warm). What uv_fs_* cannot express (a directory
// descriptor other than AT_FDCWD, renameat2 flags, statx flags) runs the same blocking call
// as the epoll pool, through uv_queue_work on the same libuv pool.
#include "drivers/libuv/uv_driver.hpp"

#include "drivers/blocking_pool/file_ops.hpp"
#include "drivers/libuv/uv_job.hpp"
#include "drivers/syscall.hpp"

#include <corio/detail/fd_record.hpp>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <fcntl.h>
#include <new>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

namespace corio::detail {

namespace {

// libuv's buffer is iovec-compatible on Unix (it hands the array to preadv as is).
static_assert(sizeof(uv_buf_t) == sizeof(::iovec));
static_assert(offsetof(uv_buf_t, base) == offsetof(::iovec, iov_base));
static_assert(offsetof(uv_buf_t, len) == offsetof(::iovec, iov_len));

// uv_fs_* take paths relative to the working directory only.
bool at_cwd(int dirfd, const char* path) noexcept { return dirfd == AT_FDCWD || (path && path[0] == '/'); }

// uv_fs_write loops until every buffer is written: keep one result within an int.
bool fits_one_call(const ::iovec* iov, int iovcnt) noexcept {
  if (iovcnt <= 0 || iovcnt > IOV_MAX) return false;  // let preadv/pwritev give their answer
  std::size_t total = 0;
  for (int i = 0; i < iovcnt; ++i) {
    total += iov[i].iov_len;
    if (total > max_rw_count) return false;
  }
  return true;
}

void fill_statx(struct ::statx& out, const uv_stat_t& s) noexcept {
  out = {};
  out.stx_mask = STATX_BASIC_STATS;
  if (s.st_birthtim.tv_sec || s.st_birthtim.tv_nsec) out.stx_mask |= STATX_BTIME;
  out.stx_blksize = static_cast<std::uint32_t>(s.st_blksize);
  out.stx_nlink = static_cast<std::uint32_t>(s.st_nlink);
  out.stx_uid = static_cast<std::uint32_t>(s.st_uid);
  out.stx_gid = static_cast<std::uint32_t>(s.st_gid);
  out.stx_mode = static_cast<std::uint16_t>(s.st_mode);
  out.stx_ino = s.st_ino;
  out.stx_size = s.st_size;
  out.stx_blocks = s.st_blocks;
  auto ts = [](const uv_timespec_t& t) {
    struct ::statx_timestamp x{};
    x.tv_sec = t.tv_sec;
    x.tv_nsec = static_cast<std::uint32_t>(t.tv_nsec);
    return x;
  };
  out.stx_atime = ts(s.st_atim);
  out.stx_btime = ts(s.st_birthtim);
  out.stx_ctime = ts(s.st_ctim);
  out.stx_mtime = ts(s.st_mtim);
  out.stx_rdev_major = major(s.st_rdev);
  out.stx_rdev_minor = minor(s.st_rdev);
  out.stx_dev_major = major(s.st_dev);
  out.stx_dev_minor = minor(s.st_dev);
}

void on_fs(uv_fs_t* req) {
  auto& job = *static_cast<uv_fs_job*>(req->data);
  const int res = static_cast<int>(req->result);
  if (res == 0 && job.op->kind == op_kind::statx && !job.drv->dying()) {
    fill_statx(*static_cast<statx_op*>(job.op)->out, req->statbuf);
  }
  uv_fs_req_cleanup(req);
  job.drv->fs_done(job, res);
}

void on_work(uv_work_t* req) {
  auto& job = *static_cast<uv_fs_job*>(req->data);
  job.result = perform_file_op(*job.op);
}

void on_work_done(uv_work_t* req, int status) {
  auto& job = *static_cast<uv_fs_job*>(req->data);
  job.drv->fs_done(job, status < 0 ? status : job.result);  // UV_ECANCELED == -ECANCELED
}

}  // namespace

void uv_driver::submit_file(op_base& op) noexcept {
  uv_fs_job* job = free_jobs_;
  if (job) {
    free_jobs_ = job->next;
  } else if (!(job = new (std::nothrow) uv_fs_job)) {
    return finish(op, -ENOMEM);
  }
  job->drv = this;
  job->op = &op;
  job->type = uv_job_type::fs;
  job->prev = nullptr;
  job->next = live_jobs_;
  if (live_jobs_) live_jobs_->prev = job;
  live_jobs_ = job;
  if (int rc = start_fs(*job, op); rc < 0) fs_done(*job, rc);  // not started: no callback
}

int uv_driver::start_work(uv_fs_job& job) noexcept {
  job.type = uv_job_type::work;
  job.work.data = &job;
  return uv_queue_work(&loop_, &job.work, on_work, on_work_done);
}

int uv_driver::start_fs(uv_fs_job& job, op_base& base) noexcept {
  uv_fs_t* req = &job.fs;
  req->data = &job;
  const int fd = op_fd(base);
  switch (base.kind) {
    case op_kind::openat: {
      auto& op = static_cast<openat_op&>(base);
      if (!op.path) return -EFAULT;
      if (!at_cwd(op.dirfd, op.path)) return start_work(job);
      return uv_fs_open(&loop_, req, op.path, op.flags | O_CLOEXEC, static_cast<int>(op.mode), on_fs);
    }
    case op_kind::read_at:
    case op_kind::write_at: {
      auto& op = static_cast<rw_at_op&>(base);
      if (op.offset > static_cast<std::uint64_t>(INT64_MAX)) return -EINVAL;  // libuv: -1 = no offset
      const uv_buf_t buf = uv_buf_init(static_cast<char*>(op.buf),
                                       static_cast<unsigned>(clamp_len(op.len)));
      const auto off = static_cast<std::int64_t>(op.offset);
      if (base.kind == op_kind::read_at) return uv_fs_read(&loop_, req, fd, &buf, 1, off, on_fs);
      return uv_fs_write(&loop_, req, fd, &buf, 1, off, on_fs);
    }
    case op_kind::readv_at:
    case op_kind::writev_at: {
      auto& op = static_cast<rwv_at_op&>(base);
      if (op.offset > static_cast<std::uint64_t>(INT64_MAX)) return -EINVAL;
      if (!fits_one_call(op.iov, op.iovcnt)) return start_work(job);
      const auto* bufs = reinterpret_cast<const uv_buf_t*>(op.iov);
      const auto n = static_cast<unsigned>(op.iovcnt);
      const auto off = static_cast<std::int64_t>(op.offset);
      if (base.kind == op_kind::readv_at) return uv_fs_read(&loop_, req, fd, bufs, n, off, on_fs);
      return uv_fs_write(&loop_, req, fd, bufs, n, off, on_fs);
    }
    case op_kind::fsync:
      if (static_cast<fsync_op&>(base).datasync) return uv_fs_fdatasync(&loop_, req, fd, on_fs);
      return uv_fs_fsync(&loop_, req, fd, on_fs);
    case op_kind::statx: {
      auto& op = static_cast<statx_op&>(base);
      if (!op.out) return -EFAULT;
      const bool whole_fd = fd >= 0 && (!op.path || op.path[0] == '\0');
      constexpr int plain = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE;
      if (whole_fd && !(op.flags & ~plain)) return uv_fs_fstat(&loop_, req, fd, on_fs);
      if (fd >= 0 || !op.path || !op.path[0] || !at_cwd(op.dirfd, op.path) || (op.flags & ~plain)) {
        return start_work(job);
      }
      if (op.flags & AT_SYMLINK_NOFOLLOW) return uv_fs_lstat(&loop_, req, op.path, on_fs);
      return uv_fs_stat(&loop_, req, op.path, on_fs);
    }
    case op_kind::unlinkat: {
      auto& op = static_cast<unlinkat_op&>(base);
      if (!op.path) return -EFAULT;
      if (!at_cwd(op.dirfd, op.path) || (op.flags & ~AT_REMOVEDIR)) return start_work(job);
      if (op.flags & AT_REMOVEDIR) return uv_fs_rmdir(&loop_, req, op.path, on_fs);
      return uv_fs_unlink(&loop_, req, op.path, on_fs);
    }
    case op_kind::renameat: {
      auto& op = static_cast<renameat_op&>(base);
      if (!op.oldpath || !op.newpath) return -EFAULT;
      if (op.flags || !at_cwd(op.olddirfd, op.oldpath) || !at_cwd(op.newdirfd, op.newpath)) {
        return start_work(job);
      }
      return uv_fs_rename(&loop_, req, op.oldpath, op.newpath, on_fs);
    }
    case op_kind::mkdirat: {
      auto& op = static_cast<mkdirat_op&>(base);
      if (!op.path) return -EFAULT;
      if (!at_cwd(op.dirfd, op.path)) return start_work(job);
      return uv_fs_mkdir(&loop_, req, op.path, static_cast<int>(op.mode), on_fs);
    }
    case op_kind::nop:
    case op_kind::recv:
    case op_kind::send:
    case op_kind::recv_pooled:
    case op_kind::recvmsg:
    case op_kind::sendmsg:
    case op_kind::accept:
    case op_kind::connect:
    case op_kind::poll:
    case op_kind::shutdown:
    case op_kind::getaddrinfo:
      return start_getaddrinfo(&loop_, job, static_cast<getaddrinfo_op&>(base));
    case op_kind::close:
      break;
  }
  return -EINVAL;  // not a file operation
}

void uv_driver::fs_done(uv_fs_job& job, int res) noexcept {
  op_base& op = *job.op;
  (job.prev ? job.prev->next : live_jobs_) = job.next;
  if (job.next) job.next->prev = job.prev;
  job.op = nullptr;
  job.prev = nullptr;
  job.next = free_jobs_;
  free_jobs_ = &job;
  if (dying_) {  // the core is gone: nobody reads the op any more
    --in_flight_;
    return;
  }
  finish(op, res);
}

void uv_driver::cancel_fs(op_base& op) noexcept {
  for (uv_fs_job* job = live_jobs_; job; job = job->next) {
    if (job->op != &op) continue;
    // Succeeds only if the pool has not started it; either way the callback finishes it.
    uv_cancel(job->request());
    return;
  }
}

void uv_driver::free_jobs() noexcept {
  while (uv_fs_job* job = free_jobs_) {
    free_jobs_ = job->next;
    delete job;
  }
}

}  // namespace corio::detail
