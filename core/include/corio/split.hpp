// Splitting a stream into an owned read half and write half, each movable to its own task, and
// reuniting them. Generic over the stream type (tcp_stream, unix_stream...): a Stream is
// constructible from a detail::fd_handle and gives it back with std::move(s).take_handle().
#pragma once

#include <corio/detail/fd_handle.hpp>
#include <corio/stream.hpp>

#include <tl/expected.hpp>
#include <utility>

namespace corio {

namespace detail {
/// shutdown(SHUT_WR) now: what dropping a write half does.
void shutdown_write_now(fd_record* r) noexcept;
/// SO_LINGER with a zero timeout: the descriptor's close sends RST instead of FIN (abort()).
void arm_reset(fd_record* r) noexcept;

/// What a half adds for its stream type: Stream::half_options<Half> when the stream names one
/// (tcp_stream: its socket options), else nothing.
template <class Stream, class Half>
struct half_options_of {
  struct type {};
};
template <class Stream, class Half>
  requires requires { typename Stream::template half_options<Half>; }
struct half_options_of<Stream, Half> {
  using type = typename Stream::template half_options<Half>;
};
}  // namespace detail

/// The read half. Dropping it lets go of its owner only; abort() resets the connection.
template <class Stream>
class read_half : public stream_reader<read_half<Stream>>,
                  public detail::half_options_of<Stream, read_half<Stream>>::type {
 public:
  read_half() noexcept = default;
  explicit read_half(detail::fd_handle h) noexcept : h_(std::move(h)) {}
  read_half(read_half&&) noexcept = default;
  read_half& operator=(read_half&&) noexcept = default;

  detail::fd_record* record() const noexcept { return h_.record(); }
  bool valid() const noexcept { return h_.valid(); }
  int native_handle() const noexcept { return h_.native(); }
  detail::fd_handle take_handle() && noexcept { return std::move(h_); }

  /// Arms a reset and lets go: once every owner (the other half too) is gone, the connection
  /// closes with RST instead of FIN. Leaves this half empty.
  void abort() noexcept {
    if (!h_.valid()) return;
    detail::arm_reset(h_.record());
    h_.reset();
  }

 private:
  detail::fd_handle h_;
};

/// The write half. Dropping it sends FIN (shutdown(SHUT_WR)) — any write it issued has
/// completed by then, since the task awaiting it is gone — while the read half keeps reading.
template <class Stream>
class write_half : public stream_writer<write_half<Stream>>,
                   public detail::half_options_of<Stream, write_half<Stream>>::type {
 public:
  write_half() noexcept = default;
  explicit write_half(detail::fd_handle h) noexcept : h_(std::move(h)) {}
  write_half(write_half&&) noexcept = default;
  write_half& operator=(write_half&& o) noexcept {
    if (this != &o) {
      finish();
      h_ = std::move(o.h_);
    }
    return *this;
  }
  ~write_half() { finish(); }

  detail::fd_record* record() const noexcept { return h_.record(); }
  bool valid() const noexcept { return h_.valid(); }
  int native_handle() const noexcept { return h_.native(); }
  detail::fd_handle take_handle() && noexcept { return std::move(h_); }

  /// Lets go without sending FIN, and arms a reset: once every owner (the read half too) is
  /// gone, the connection closes with RST. What a proxy does when either side fails. Leaves
  /// this half empty.
  void abort() noexcept {
    if (!h_.valid()) return;
    detail::arm_reset(h_.record());
    h_.reset();
  }

 private:
  void finish() noexcept {
    if (h_.valid()) {
      // The last owner (the read half is gone): the close right behind sends the FIN, and
      // a shutdown() would be one system call more per connection.
      if (h_.record()->owners > 1) detail::shutdown_write_now(h_.record());
      h_.reset();
    }
  }
  detail::fd_handle h_;
};

/// Splits s into its halves; both own the descriptor, which closes when the last one goes.
template <class Stream>
std::pair<read_half<Stream>, write_half<Stream>> split(Stream&& s) {
  detail::fd_handle h = std::move(s).take_handle();
  detail::fd_handle other = h.share();
  return {read_half<Stream>(std::move(h)), write_half<Stream>(std::move(other))};
}

/// What reunite() gives back when the halves belong to different streams.
template <class Stream>
struct reunite_error {
  std::error_code error;  ///< errc::mismatched_halves
  read_half<Stream> read;
  write_half<Stream> write;
};

/// Puts two halves of one stream back together; halves of different streams are returned
/// untouched with errc::mismatched_halves.
template <class Stream>
tl::expected<Stream, reunite_error<Stream>> reunite(read_half<Stream>&& rd, write_half<Stream>&& wr) {
  if (!rd.valid() || rd.record() != wr.record()) {
    return tl::unexpected(reunite_error<Stream>{make_error_code(errc::mismatched_halves), std::move(rd), std::move(wr)});
  }
  detail::fd_handle h = std::move(rd).take_handle();
  detail::fd_handle w = std::move(wr).take_handle();
  w.reset();  // drops one of the two owners; no FIN: the stream is whole again
  return Stream(std::move(h));
}

}  // namespace corio
