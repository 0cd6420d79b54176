// Byte-stream operations shared by every connected stream type (tcp_stream, unix_stream) and
// by their split halves: written once here, over the descriptor record, never per socket type.
#pragma once

#include <corio/buffer_pool.hpp>
#include <corio/detail/fd_handle.hpp>
#include <corio/detail/op_awaiter.hpp>
#include <corio/task.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <span>
#include <sys/socket.h>
#include <sys/uio.h>

namespace corio {

enum class shutdown_how { read = SHUT_RD, write = SHUT_WR, both = SHUT_RDWR };

/// What graceful_close() observed before closing.
enum class close_outcome {
  peer_finished,   ///< the peer sent end-of-stream before the deadline
  deadline_passed  ///< the deadline passed first; the connection was closed anyway
};

namespace detail {

using read_awaiter = op_awaiter<recv_op, size_result>;
using write_awaiter = op_awaiter<send_op, size_result>;
using vector_awaiter = op_awaiter<msg_op, size_result>;
using shutdown_awaiter = op_awaiter<shutdown_op, void_result>;
using closed_awaiter = op_awaiter<poll_op, void_result>;

// The operations, as functions of a descriptor record (null: a closed or moved-from handle).
// read and write inline: they run once per message, and build the awaiter in place.
inline read_awaiter stream_read(fd_record* r, std::span<std::byte> buf) noexcept {
  read_awaiter a(r);
  a.op.buf = buf.data();
  a.op.len = buf.size();
  // A zero-length read yields 0 at once, as read(2) does: io_uring would otherwise wait for
  // data before completing it, epoll and libuv would not.
  if (buf.empty() && r) a.fail_now_errno(0);
  return a;
}
inline write_awaiter stream_write(fd_record* r, std::span<const std::byte> buf) noexcept {
  write_awaiter a(r);
  a.op.buf = buf.data();
  a.op.len = buf.size();
  return a;
}
vector_awaiter stream_readv(fd_record* r, std::span<const ::iovec> iov) noexcept;
vector_awaiter stream_writev(fd_record* r, std::span<const ::iovec> iov) noexcept;
shutdown_awaiter stream_shutdown(fd_record* r, shutdown_how how) noexcept;
closed_awaiter stream_closed(fd_record* r) noexcept;
task<result<close_outcome>> stream_graceful_close(fd_handle h, std::chrono::steady_clock::time_point deadline);

/// write_all and read_exact: one operation that the core submits again for the rest of the
/// buffer after a short transfer (op_mark::loops, advance_transfer), without resuming the
/// waiter in between — no coroutine frame, no allocation, one resume per call however many
/// system calls it takes.
template <class Op>
class [[nodiscard]] transfer_all_awaiter {
 public:
  transfer_all_awaiter(fd_record* fd, void* buf, std::size_t len) noexcept {
    op.fd = fd;
    op.buf = buf;
    op.len = len;
    op.marks = op_mark::loops;
    if (!fd) {
      op.result = errc_result(errc::closed_handle);
      op.state = op_state::done;
    } else if (len == 0) {
      op.state = op_state::done;  // nothing to transfer: success without a system call
    }
  }

  bool await_ready() const noexcept { return op.state == op_state::done; }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return start_op(op, h); }
  result<void> await_resume() const noexcept {
    const op_base& base = op;  // (a plain name: `op.result <` would parse as a template here)
    const int res = base.result;
    if (res < 0) return tl::unexpected(op_error(res));
    if (static_cast<std::size_t>(res) >= op.len) return {};  // the last chunk finished it
    if (res == 0) return fail(errc::end_of_stream);  // a read met the end first
    return fail_errno(ECANCELED);  // cancelled after a partial transfer (a race branch)
  }

  Op op;
};

using write_all_awaiter = transfer_all_awaiter<send_op>;
using read_exact_awaiter = transfer_all_awaiter<recv_op>;
}  // namespace detail

/// Reading operations, mixed into a stream type or a read half (Self provides record()).
template <class Self>
class stream_reader {
 public:
  /// Reads at most buf.size() bytes; 0 means end-of-stream.
  detail::read_awaiter read(std::span<std::byte> buf) noexcept { return detail::stream_read(rec(), buf); }
  /// Scatter read; the iovec array and buffers must outlive the await.
  detail::vector_awaiter readv(std::span<const ::iovec> iov) noexcept { return detail::stream_readv(rec(), iov); }
  /// Reads exactly buf.size() bytes; end-of-stream first gives errc::end_of_stream.
  detail::read_exact_awaiter read_exact(std::span<std::byte> buf) noexcept { return {rec(), buf.data(), buf.size()}; }
  /// Waits for data holding no buffer, then reads it into a buffer of `pool` (at most its
  /// buffer size): result<pooled_buffer>, whose empty() means end-of-stream. With the pool
  /// empty, a read whose data has arrived waits for a buffer to come back (first come, first
  /// served). Cancelled, it loses nothing: bytes not yet read stay in the socket for the next
  /// read. The pool must belong to this stream's runtime (errc::wrong_runtime otherwise).
  detail::read_pooled_awaiter read_pooled(buffer_pool& pool) noexcept { return {rec(), pool.state()}; }
  /// Completes when the peer hangs up (RDHUP/HUP/ERR), even while the stream is idle or a read
  /// is pending on it. TCP cannot tell a peer's half-close from its departure: a FIN fires it.
  detail::closed_awaiter closed() noexcept { return detail::stream_closed(rec()); }

 private:
  detail::fd_record* rec() const noexcept { return static_cast<const Self*>(this)->record(); }
};

/// Writing operations, mixed into a stream type or a write half (Self provides record()).
template <class Self>
class stream_writer {
 public:
  /// Writes at most buf.size() bytes (a short write is possible); never raises SIGPIPE: a gone
  /// peer gives EPIPE or ECONNRESET.
  detail::write_awaiter write(std::span<const std::byte> buf) noexcept { return detail::stream_write(rec(), buf); }
  /// Gather write; the iovec array and buffers must outlive the await.
  detail::vector_awaiter writev(std::span<const ::iovec> iov) noexcept { return detail::stream_writev(rec(), iov); }
  /// Writes every byte of buf (several writes if needed).
  detail::write_all_awaiter write_all(std::span<const std::byte> buf) noexcept {
    return {rec(), const_cast<std::byte*>(buf.data()), buf.size()};
  }
  /// shutdown(2): shutdown_how::write sends FIN; the stream still reads.
  detail::shutdown_awaiter shutdown(shutdown_how how = shutdown_how::write) noexcept {
    return detail::stream_shutdown(rec(), how);
  }

 private:
  detail::fd_record* rec() const noexcept { return static_cast<const Self*>(this)->record(); }
};

}  // namespace corio
