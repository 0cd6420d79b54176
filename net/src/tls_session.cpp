// The TLS engine: creating a session over a BIO pair, the handshake, reads and writes, and
// moving ciphertext between the BIO pair and the socket with corio stream operations.
#include "net/src/tls_session.hpp"

#include <corio/stream.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <climits>
#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace corio::net::detail {

namespace {

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

int clamp_int(std::size_t n, std::size_t max) noexcept { return static_cast<int>(std::min<std::size_t>(n, max)); }

}  // namespace

tls_session::tls_session(corio::detail::fd_handle h, std::shared_ptr<tls_context_state> ctx, SSL* ssl,
                         BIO* net) noexcept
    : h_(std::move(h)), ctx_(std::move(ctx)), ssl_(ssl), net_(net) {}

tls_session::~tls_session() {
  SSL_free(ssl_);  // frees OpenSSL's side of the pair
  BIO_free(net_);
}

result<std::shared_ptr<tls_session>> tls_session::create(corio::detail::fd_handle h, const tls_context& ctx,
                                                         bool server, std::string_view host) {
  if (!h.valid() || !ctx.state()) return fail(errc::closed_handle);
  if (ctx.is_server() != server) return fail(errc::invalid_argument);
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx.state()->ctx);
  if (!ssl) return tl::unexpected(openssl_error_from_queue(errno_code(ENOMEM)));
  BIO* inner = nullptr;
  BIO* net = nullptr;
  if (BIO_new_bio_pair(&inner, buffer_size, &net, buffer_size) != 1) {
    SSL_free(ssl);
    return tl::unexpected(openssl_error_from_queue(errno_code(ENOMEM)));
  }
  SSL_set_bio(ssl, inner, inner);
  std::shared_ptr<tls_session> s(new tls_session(std::move(h), ctx.state(), ssl, net));
  if (server) {
    SSL_set_accept_state(ssl);
    return s;
  }
  SSL_set_connect_state(ssl);
  if (!host.empty()) {
    const std::string name(host);
    bool ok;
    if (is_ip_literal(host)) {  // no SNI for addresses (RFC 6066); the certificate's IP SAN is checked
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
    } else {
      ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 && SSL_set1_host(ssl, name.c_str()) == 1;
    }
    if (!ok) return tl::unexpected(openssl_error_from_queue(make_error_code(errc::invalid_argument)));
  }
  return s;
}

result<void> tls_session::writable() const noexcept {
  if (fatal_) return tl::unexpected(fatal_);
  if (write_broken_) return tl::unexpected(make_error_code(tls_errc::write_interrupted));
  if (close_notify_sent_ || fin_sent_) return tl::unexpected(make_error_code(tls_errc::closed));
  return {};
}

// ---- the transport ----

task<result<void>> tls_session::flush_locked() {
  for (;;) {
    char* p = nullptr;
    const int pending = BIO_nread0(net_, &p);
    if (pending <= 0) co_return result<void>{};
    send_in_flight_ = true;  // if this frame dies mid-send, the guard marks the stream
    auto n = co_await corio::detail::stream_write(
        record(), std::span(reinterpret_cast<const std::byte*>(p), static_cast<std::size_t>(pending)));
    send_in_flight_ = false;
    if (!n) co_return tl::unexpected(n.error());
    BIO_nread(net_, &p, static_cast<int>(*n));  // consumed only once the kernel took it
  }
}

task<void> tls_session::flush_if_idle() {
  if (sending_ || BIO_ctrl_pending(net_) == 0) co_return;
  send_guard g(*this);
  co_await g.acquire();  // free: ready at once
  (void)co_await flush_locked();
}

task<result<bool>> tls_session::receive() {
  char* p = nullptr;
  const int room = BIO_nwrite0(net_, &p);  // received straight into the pair's buffer
  if (room <= 0) co_return fail_errno(ENOBUFS);  // OpenSSL asked for input it already has
  auto n = co_await corio::detail::stream_read(record(),
                                               std::span(reinterpret_cast<std::byte*>(p), static_cast<std::size_t>(room)));
  if (!n) co_return tl::unexpected(n.error());
  if (*n == 0) {
    eof_ = true;
    co_return false;
  }
  BIO_nwrite(net_, &p, static_cast<int>(*n));
  co_return true;
}

// ---- the protocol ----

task<result<void>> tls_session::handshake() {
  if (handshake_done_) co_return result<void>{};
  send_guard g(*this);  // held throughout: a concurrent handshake (the other half) waits here
  co_await g.acquire();
  while (!handshake_done_) {
    if (fatal_) co_return tl::unexpected(fatal_);
    if (write_broken_) co_return tl::unexpected(make_error_code(tls_errc::write_interrupted));
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    const int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
    const bool waiting = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
    if (r != 1 && !waiting) fatal_ = openssl_error(ssl_, e);  // read now: other tasks run below
    auto sent = co_await flush_locked();  // our flight, or the alert that explains a failure
    if (fatal_) co_return tl::unexpected(fatal_);
    if (!sent) co_return tl::unexpected(sent.error());
    if (r == 1) {
      handshake_done_ = true;
    } else if (e == SSL_ERROR_WANT_READ) {
      if (eof_) co_return tl::unexpected(fatal_ = make_error_code(tls_errc::handshake_closed));
      auto got = co_await receive();
      if (!got) co_return tl::unexpected(got.error());
      if (!*got) co_return tl::unexpected(fatal_ = make_error_code(tls_errc::handshake_closed));
    }
  }
  co_return result<void>{};
}

task<result<std::size_t>> tls_session::read(std::span<std::byte> buf) {
  if (!handshake_done_) {
    if (auto h = co_await handshake(); !h) co_return tl::unexpected(h.error());
  }
  if (buf.empty()) co_return std::size_t{0};
  for (;;) {
    if (fatal_) co_return tl::unexpected(fatal_);
    ERR_clear_error();
    const int n = SSL_read(ssl_, buf.data(), clamp_int(buf.size(), INT_MAX));
    if (n > 0) co_return static_cast<std::size_t>(n);
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_ZERO_RETURN) co_return std::size_t{0};  // the peer's close_notify
    if (e == SSL_ERROR_WANT_READ) {
      if (eof_) co_return tl::unexpected(make_error_code(tls_errc::truncated));
      co_await flush_if_idle();  // anything reading produced (a writer already sending takes it)
      auto got = co_await receive();
      if (!got) co_return tl::unexpected(got.error());
      if (!*got) co_return tl::unexpected(make_error_code(tls_errc::truncated));
      continue;
    }
    if (e == SSL_ERROR_WANT_WRITE) {  // output is full: wait for our turn to send it
      send_guard g(*this);
      co_await g.acquire();
      if (auto sent = co_await flush_locked(); !sent) co_return tl::unexpected(sent.error());
      continue;
    }
    fatal_ = openssl_error(ssl_, e);
    co_await flush_if_idle();  // the alert telling the peer why
    co_return tl::unexpected(fatal_);
  }
}

task<result<std::size_t>> tls_session::write(std::span<const std::byte> buf) {
  if (!handshake_done_) {
    if (auto h = co_await handshake(); !h) co_return tl::unexpected(h.error());
  }
  if (auto w = writable(); !w) co_return tl::unexpected(w.error());
  if (buf.empty()) co_return std::size_t{0};
  const int len = clamp_int(buf.size(), max_write);
  send_guard g(*this);
  co_await g.acquire();
  if (auto w = writable(); !w) co_return tl::unexpected(w.error());  // changed while we waited
  g.set_dirty(true);  // from the first SSL_write until everything is sent
  for (;;) {
    ERR_clear_error();
    const int n = SSL_write(ssl_, buf.data(), len);
    const int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, n);
    if (n <= 0 && e != SSL_ERROR_WANT_WRITE) {
      fatal_ = openssl_error(ssl_, e);
      g.set_dirty(false);
      co_return tl::unexpected(fatal_);
    }
    auto sent = co_await flush_locked();  // whole records, or room for the rest (WANT_WRITE)
    if (!sent) co_return tl::unexpected(sent.error());
    if (n > 0) {
      g.set_dirty(false);
      co_return static_cast<std::size_t>(n);
    }
  }
}

task<result<void>> tls_session::write_all(std::span<const std::byte> buf) {
  while (!buf.empty()) {
    auto n = co_await write(buf);
    if (!n) co_return tl::unexpected(n.error());
    buf = buf.subspan(*n);
  }
  co_return result<void>{};
}

task<result<void>> tls_session::read_exact(std::span<std::byte> buf) {
  while (!buf.empty()) {
    auto n = co_await read(buf);
    if (!n) co_return tl::unexpected(n.error());
    if (*n == 0) co_return fail(errc::end_of_stream);
    buf = buf.subspan(*n);
  }
  co_return result<void>{};
}

}  // namespace corio::net::detail
