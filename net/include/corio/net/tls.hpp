// TLS over any corio byte stream (tcp_stream, unix_stream), with OpenSSL 3 running over memory
// BIOs: every byte still goes through the corio driver (io_uring, epoll or libuv alike); no
// socket BIO, no blocking call on the loop.
//
//   auto ctx = net::tls_context::client({.ca_file = "ca.pem"});
//   auto tcp = co_await net::tcp_stream::connect(addr);
//   auto tls = net::tls_stream::client(std::move(*tcp), *ctx, "example.com");
//   co_await tls->handshake();  co_await tls->write_all(request);  co_await tls->read(buf);
//   co_await tls->graceful_close(5s);   // close_notify, FIN, the peer's close_notify, close
#pragma once

#include <corio/net/tls_context.hpp>
#include <corio/net/tls_errors.hpp>
#include <corio/stream.hpp>
#include <corio/task.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace corio::net {

namespace detail {
class tls_session;
}  // namespace detail

class tls_read_half;
class tls_write_half;
struct tls_reunite_error;

/// A TLS connection over a corio stream. Move-only. Operations are tasks (awaited once, at
/// most one read and one write in flight at a time); each works with timeout() and task
/// cancellation. Errors: tls_errc, openssl_category() (with OpenSSL's reason text), or the
/// transport's own (system category).
///
/// Ending: read() returns 0 only after the peer's close_notify; a peer that closes the
/// connection without one gives tls_errc::truncated. shutdown() sends close_notify then FIN;
/// graceful_close() also waits for the peer's close_notify. Dropping a stream whose handshake
/// completed sends close_notify then FIN in the background (bounded by 5 s), then closes.
class tls_stream {
 public:
  tls_stream() noexcept = default;
  tls_stream(tls_stream&&) noexcept = default;
  tls_stream& operator=(tls_stream&& o) noexcept;
  ~tls_stream();

  /// The client side over a connected stream. `host` is sent by SNI and checked against the
  /// server's certificate (an IP literal is checked as an IP address, without SNI); empty:
  /// no name check (the chain is still verified unless verify_peer is off).
  template <class Stream>
  static result<tls_stream> client(Stream&& s, const tls_context& ctx, std::string_view host) {
    return wrap(std::move(s).take_handle(), ctx, false, host);
  }
  /// The server side over an accepted stream.
  template <class Stream>
  static result<tls_stream> server(Stream&& s, const tls_context& ctx) {
    return wrap(std::move(s).take_handle(), ctx, true, {});
  }
  /// Resolves host, connects over TCP (each address in turn) and completes the handshake.
  static task<result<tls_stream>> connect(tls_context ctx, std::string host, std::uint16_t port);

  /// Runs the handshake (read and write run it first if it has not been). Certificate and
  /// name failures give e.g. "certificate verify failed: self-signed certificate".
  task<result<void>> handshake();
  /// Reads at most buf.size() decrypted bytes; 0 means the peer sent close_notify.
  task<result<std::size_t>> read(std::span<std::byte> buf);
  /// Encrypts and sends up to 256 KiB of buf; returns how much was taken.
  task<result<std::size_t>> write(std::span<const std::byte> buf);
  /// Writes every byte of buf.
  task<result<void>> write_all(std::span<const std::byte> buf);
  /// Reads exactly buf.size() bytes; close_notify first is errc::end_of_stream.
  task<result<void>> read_exact(std::span<std::byte> buf);
  /// Sends close_notify, then FIN; reading goes on until the peer's close_notify.
  task<result<void>> shutdown();
  /// close_notify and FIN, then reads and discards until the peer's close_notify or the
  /// deadline, then closes. peer_finished: the peer's close_notify arrived. A peer that closes
  /// without one: tls_errc::truncated (closed all the same). Leaves this stream empty.
  task<result<close_outcome>> graceful_close(std::chrono::steady_clock::time_point deadline);
  task<result<close_outcome>> graceful_close(std::chrono::nanoseconds d) {
    return graceful_close(std::chrono::steady_clock::now() + d);
  }
  /// Completes when the peer hangs up the transport (see stream_reader::closed).
  corio::detail::closed_awaiter closed() noexcept;

  /// An owned read half and write half sharing the TLS state (one runtime, as every corio
  /// handle), each movable to its own task. Dropping the write half sends close_notify then
  /// FIN while the read half keeps reading. Handshake first, or the halves do it.
  std::pair<tls_read_half, tls_write_half> split() &&;

  /// The protocol ALPN selected ("" if none), and the TLS version ("TLSv1.3").
  std::string alpn_protocol() const;
  std::string protocol_version() const;
  bool valid() const noexcept { return s_ != nullptr; }
  int native_handle() const noexcept;

 private:
  friend class tls_read_half;
  friend class tls_write_half;
  friend tl::expected<tls_stream, tls_reunite_error> reunite(tls_read_half&&, tls_write_half&&);
  explicit tls_stream(std::shared_ptr<detail::tls_session> s) noexcept : s_(std::move(s)) {}
  static result<tls_stream> wrap(corio::detail::fd_handle h, const tls_context& ctx, bool server, std::string_view host);
  std::shared_ptr<detail::tls_session> s_;
};

/// The reading half of a split tls_stream.
class tls_read_half {
 public:
  tls_read_half() noexcept = default;
  explicit tls_read_half(std::shared_ptr<detail::tls_session> s) noexcept : s_(std::move(s)) {}
  tls_read_half(tls_read_half&&) noexcept = default;
  tls_read_half& operator=(tls_read_half&&) noexcept = default;

  task<result<std::size_t>> read(std::span<std::byte> buf);
  task<result<void>> read_exact(std::span<std::byte> buf);
  corio::detail::closed_awaiter closed() noexcept;
  bool valid() const noexcept { return s_ != nullptr; }

 private:
  friend tl::expected<tls_stream, tls_reunite_error> reunite(tls_read_half&&, tls_write_half&&);
  std::shared_ptr<detail::tls_session> s_;
};

/// The writing half of a split tls_stream. Dropping it sends close_notify then FIN in the
/// background (the read half keeps reading).
class tls_write_half {
 public:
  tls_write_half() noexcept = default;
  explicit tls_write_half(std::shared_ptr<detail::tls_session> s) noexcept : s_(std::move(s)) {}
  tls_write_half(tls_write_half&&) noexcept = default;
  tls_write_half& operator=(tls_write_half&& o) noexcept;
  ~tls_write_half();

  task<result<std::size_t>> write(std::span<const std::byte> buf);
  task<result<void>> write_all(std::span<const std::byte> buf);
  /// close_notify then FIN, awaited.
  task<result<void>> shutdown();
  bool valid() const noexcept { return s_ != nullptr; }

 private:
  friend tl::expected<tls_stream, tls_reunite_error> reunite(tls_read_half&&, tls_write_half&&);
  std::shared_ptr<detail::tls_session> s_;
};

/// What reunite() gives back when the halves belong to different streams.
struct tls_reunite_error {
  std::error_code error;  ///< errc::mismatched_halves
  tls_read_half read;
  tls_write_half write;
};

/// Puts two halves of one TLS stream back together.
tl::expected<tls_stream, tls_reunite_error> reunite(tls_read_half&& rd, tls_write_half&& wr);

}  // namespace corio::net
