// The TLS engine behind tls_stream and its halves: one OpenSSL session over a BIO pair whose
// network side is read and written only through corio stream operations on the descriptor.
//
// Concurrency (one runtime thread, cooperative): at most one reader and one writer. Sending
// ciphertext is serialised by a send lock (handshake, write, shutdown, and a read's rare
// output such as an alert); only the reader (or the handshake, which holds the lock) receives.
// OpenSSL's error queue is per thread and other tasks run whenever this one suspends, so every
// error is read right after the call that failed, before any co_await.
#pragma once

#include <corio/detail/fd_handle.hpp>
#include <corio/net/tls.hpp>

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

namespace corio::net::detail {

struct tls_context_state {
  ~tls_context_state() { SSL_CTX_free(ctx); }
  SSL_CTX* ctx = nullptr;
  bool server = false;
  std::vector<std::string> alpn;  ///< the server's preference order
};

/// An OpenSSL error code for the failed call `ret` whose SSL_get_error was `ssl_error`,
/// taken from the thread's error queue (which it clears).
std::error_code openssl_error(SSL* ssl, int ssl_error) noexcept;
/// The error at the head of the queue (clears it); `fallback` if it is empty.
std::error_code openssl_error_from_queue(std::error_code fallback) noexcept;

class tls_session {
 public:
  /// Ciphertext buffered in each direction between OpenSSL and the socket.
  static constexpr std::size_t buffer_size = 64 * 1024;
  /// The most one write() encrypts before returning.
  static constexpr std::size_t max_write = 256 * 1024;

  static result<std::shared_ptr<tls_session>> create(corio::detail::fd_handle h, const tls_context& ctx, bool server,
                                                     std::string_view host);
  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  task<result<void>> handshake();
  task<result<std::size_t>> read(std::span<std::byte> buf);
  task<result<std::size_t>> write(std::span<const std::byte> buf);
  task<result<void>> write_all(std::span<const std::byte> buf);
  task<result<void>> read_exact(std::span<std::byte> buf);
  /// close_notify (once the handshake is done), then FIN.
  task<result<void>> shutdown();
  /// shutdown, drain until the peer's close_notify or the deadline, close the descriptor.
  static task<result<close_outcome>> graceful_close(std::shared_ptr<tls_session> self,
                                                    std::chrono::steady_clock::time_point deadline);
  /// What dropping the last writer does: close_notify then FIN in a detached task holding
  /// `self`, bounded in time; nothing if there is no running runtime or nothing to say.
  static void end_politely(std::shared_ptr<tls_session> self) noexcept;

  corio::detail::fd_record* record() const noexcept { return h_.record(); }
  SSL* ssl() const noexcept { return ssl_; }

  // ---- the send lock (tls_send_lock.cpp) ----
  class send_guard;

 private:
  tls_session(corio::detail::fd_handle h, std::shared_ptr<tls_context_state> ctx, SSL* ssl, BIO* net) noexcept;

  /// Sends every byte of pending ciphertext; the caller holds the send lock.
  task<result<void>> flush_locked();
  /// Sends pending ciphertext if nobody else is sending (they will send it otherwise).
  task<void> flush_if_idle();
  /// Receives ciphertext into the BIO pair; false at the transport's end-of-stream.
  task<result<bool>> receive();
  result<void> writable() const noexcept;
  void unqueue(send_guard& g) noexcept;
  void release_send() noexcept;

  corio::detail::fd_handle h_;
  std::shared_ptr<tls_context_state> ctx_;  ///< keeps the SSL_CTX (and its ALPN list) alive
  SSL* ssl_ = nullptr;
  BIO* net_ = nullptr;  ///< our side of the pair; OpenSSL owns the other

  std::error_code fatal_;         ///< a fatal TLS error: every later operation reports it
  bool handshake_done_ = false;
  bool close_notify_sent_ = false;
  bool fin_sent_ = false;
  bool write_broken_ = false;     ///< a write was cancelled mid-record
  bool eof_ = false;              ///< the transport reached end-of-stream
  bool send_in_flight_ = false;   ///< flush_locked is awaiting a send

  // send lock: held by at most one task; waiters queued in order
  bool sending_ = false;
  send_guard* waiters_ = nullptr;
  send_guard* waiters_tail_ = nullptr;
};

/// RAII holder of the send lock, a named local of the coroutine that needs it: destroyed
/// exactly once, also when a cancelled task's frame is destroyed mid-wait or mid-send (then it
/// leaves the queue or hands the lock on, and marks the stream broken if a write was cut).
class tls_session::send_guard {
 public:
  explicit send_guard(tls_session& s) noexcept : s_(s) {}
  ~send_guard();
  send_guard(const send_guard&) = delete;
  send_guard& operator=(const send_guard&) = delete;

  /// Awaitable taking the lock (trivially destructible, as co_await operands must be).
  struct acquire_awaiter {
    send_guard* g;
    bool await_ready() const noexcept;
    bool await_suspend(std::coroutine_handle<> h) noexcept;
    void await_resume() const noexcept {}
  };
  acquire_awaiter acquire() noexcept { return {this}; }
  /// Marks a stretch where cancellation would leave a record half sent.
  void set_dirty(bool on) noexcept { dirty_ = on; }

 private:
  friend class tls_session;
  void grant() noexcept;

  tls_session& s_;
  corio::detail::ready_node node_;
  send_guard* next_ = nullptr;
  bool held_ = false;
  bool queued_ = false;
  bool dirty_ = false;
};

}  // namespace corio::net::detail
