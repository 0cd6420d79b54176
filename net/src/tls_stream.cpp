// tls_stream and its halves: thin owners of a shared tls_session (net/src/tls_session.hpp).
#include "net/src/tls_session.hpp"

#include <corio/net/resolve.hpp>
#include <corio/net/tcp.hpp>

#include <openssl/ssl.h>

namespace corio::net {

using detail::tls_session;

namespace {

task<result<std::size_t>> no_session_size() { co_return fail(errc::closed_handle); }
task<result<void>> no_session() { co_return fail(errc::closed_handle); }

}  // namespace

// ---- tls_stream ----

result<tls_stream> tls_stream::wrap(corio::detail::fd_handle h, const tls_context& ctx, bool server,
                                    std::string_view host) {
  auto s = tls_session::create(std::move(h), ctx, server, host);
  if (!s) return tl::unexpected(s.error());
  return tls_stream(std::move(*s));
}

tls_stream& tls_stream::operator=(tls_stream&& o) noexcept {
  if (this != &o) {
    tls_session::end_politely(std::move(s_));
    s_ = std::move(o.s_);
  }
  return *this;
}

tls_stream::~tls_stream() { tls_session::end_politely(std::move(s_)); }

task<result<tls_stream>> tls_stream::connect(tls_context ctx, std::string host, std::uint16_t port) {
  auto tcp = co_await tcp_stream::connect(host, port);
  if (!tcp) co_return tl::unexpected(tcp.error());
  auto tls = client(std::move(*tcp), ctx, host);
  if (!tls) co_return tl::unexpected(tls.error());
  if (auto h = co_await tls->handshake(); !h) co_return tl::unexpected(h.error());
  co_return std::move(*tls);
}

task<result<void>> tls_stream::handshake() { return s_ ? s_->handshake() : no_session(); }
task<result<std::size_t>> tls_stream::read(std::span<std::byte> buf) { return s_ ? s_->read(buf) : no_session_size(); }
task<result<std::size_t>> tls_stream::write(std::span<const std::byte> buf) {
  return s_ ? s_->write(buf) : no_session_size();
}
task<result<void>> tls_stream::write_all(std::span<const std::byte> buf) {
  return s_ ? s_->write_all(buf) : no_session();
}
task<result<void>> tls_stream::read_exact(std::span<std::byte> buf) { return s_ ? s_->read_exact(buf) : no_session(); }
task<result<void>> tls_stream::shutdown() { return s_ ? s_->shutdown() : no_session(); }

task<result<close_outcome>> tls_stream::graceful_close(std::chrono::steady_clock::time_point deadline) {
  return tls_session::graceful_close(std::move(s_), deadline);
}

corio::detail::closed_awaiter tls_stream::closed() noexcept {
  return corio::detail::stream_closed(s_ ? s_->record() : nullptr);
}

std::pair<tls_read_half, tls_write_half> tls_stream::split() && {
  auto s = std::move(s_);
  return {tls_read_half(s), tls_write_half(std::move(s))};
}

std::string tls_stream::alpn_protocol() const {
  if (!s_) return {};
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(s_->ssl(), &p, &len);
  return p ? std::string(reinterpret_cast<const char*>(p), len) : std::string();
}

std::string tls_stream::protocol_version() const { return s_ ? SSL_get_version(s_->ssl()) : ""; }

int tls_stream::native_handle() const noexcept { return s_ && s_->record() ? s_->record()->fd : -1; }

// ---- halves ----

task<result<std::size_t>> tls_read_half::read(std::span<std::byte> buf) {
  return s_ ? s_->read(buf) : no_session_size();
}
task<result<void>> tls_read_half::read_exact(std::span<std::byte> buf) {
  return s_ ? s_->read_exact(buf) : no_session();
}
corio::detail::closed_awaiter tls_read_half::closed() noexcept {
  return corio::detail::stream_closed(s_ ? s_->record() : nullptr);
}

tls_write_half& tls_write_half::operator=(tls_write_half&& o) noexcept {
  if (this != &o) {
    tls_session::end_politely(std::move(s_));
    s_ = std::move(o.s_);
  }
  return *this;
}
tls_write_half::~tls_write_half() { tls_session::end_politely(std::move(s_)); }

task<result<std::size_t>> tls_write_half::write(std::span<const std::byte> buf) {
  return s_ ? s_->write(buf) : no_session_size();
}
task<result<void>> tls_write_half::write_all(std::span<const std::byte> buf) {
  return s_ ? s_->write_all(buf) : no_session();
}
task<result<void>> tls_write_half::shutdown() { return s_ ? s_->shutdown() : no_session(); }

tl::expected<tls_stream, tls_reunite_error> reunite(tls_read_half&& rd, tls_write_half&& wr) {
  if (!rd.s_ || rd.s_ != wr.s_) {
    return tl::unexpected(tls_reunite_error{make_error_code(errc::mismatched_halves), std::move(rd), std::move(wr)});
  }
  wr.s_.reset();  // one of the two owners goes, quietly: the stream is whole again
  return tls_stream(std::move(rd.s_));
}

}  // namespace corio::net
