// Ending a TLS stream politely: close_notify before FIN, waiting (bounded) for the peer's
// close_notify, and what dropping the last writer does.
#include "net/src/tls_session.hpp"

#include <corio/spawn.hpp>
#include <corio/time.hpp>

#include <array>
#include <openssl/err.h>

namespace corio::net::detail {

using namespace std::chrono_literals;

task<result<void>> tls_session::shutdown() {
  if (fin_sent_) co_return result<void>{};
  send_guard g(*this);
  co_await g.acquire();
  if (fin_sent_) co_return result<void>{};  // done by another task while we waited
  std::error_code failure;
  // close_notify only on an established, intact session: after a fatal error the peer got an
  // alert instead, and after an interrupted write a record is missing (say nothing more).
  if (handshake_done_ && !close_notify_sent_ && !fatal_ && !write_broken_) {
    g.set_dirty(true);
    for (;;) {
      ERR_clear_error();
      const int r = SSL_shutdown(ssl_);  // 0: sent, the peer's still to come; 1: both done
      if (r >= 0) {
        close_notify_sent_ = true;
        break;
      }
      const int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_WRITE) {
        failure = openssl_error(ssl_, e);
        break;
      }
      if (auto sent = co_await flush_locked(); !sent) co_return tl::unexpected(sent.error());
    }
    auto sent = co_await flush_locked();
    if (!sent && !failure) failure = sent.error();
    g.set_dirty(false);
  }
  // Then FIN, after the close_notify bytes: the peer sees a clean end in both layers.
  auto fin = co_await corio::detail::stream_shutdown(record(), shutdown_how::write);
  fin_sent_ = true;
  if (!fin && fin.error() != std::errc::not_connected && !failure) failure = fin.error();
  if (failure) co_return tl::unexpected(failure);
  co_return result<void>{};
}

task<result<close_outcome>> tls_session::graceful_close(std::shared_ptr<tls_session> self,
                                                        std::chrono::steady_clock::time_point deadline) {
  if (!self || !self->record()) co_return fail(errc::closed_handle);
  tls_session& s = *self;
  auto left = [deadline] { return deadline - std::chrono::steady_clock::now(); };
  std::error_code failure;
  if (left() > 0ns) {
    auto r = co_await corio::timeout(left(), s.shutdown());
    if (!r && r.error() != errc::timed_out) failure = r.error();
  }
  close_outcome outcome = close_outcome::deadline_passed;
  if (s.handshake_done_ && !s.fatal_) {
    std::array<std::byte, 16 * 1024> sink;
    while (left() > 0ns) {
      auto n = co_await corio::timeout(left(), s.read(sink));
      if (!n) {  // timed out, reset, or cut without close_notify: close anyway
        if (n.error() == tls_errc::truncated && !failure) failure = n.error();
        break;
      }
      if (*n == 0) {
        outcome = close_outcome::peer_finished;
        break;
      }
    }
  }
  auto closed = co_await s.h_.close();
  if (!closed && !failure) failure = closed.error();
  if (failure) co_return tl::unexpected(failure);
  co_return outcome;
}

namespace {

task<void> end_in_background(std::shared_ptr<tls_session> s) {
  (void)co_await corio::timeout(5s, s->shutdown());  // a peer that never reads cannot pin it
}

}  // namespace

void tls_session::end_politely(std::shared_ptr<tls_session> self) noexcept {
  if (!self || !corio::detail::tls_runtime) return;  // no loop to run on: the close alone
  tls_session& s = *self;
  corio::detail::fd_record* r = s.record();
  if (!r || r->rt != corio::detail::tls_runtime || !s.handshake_done_ || s.fin_sent_ || s.fatal_) return;
  try {
    corio::spawn(end_in_background(std::move(self))).detach();
  } catch (...) {  // out of memory: the descriptor still closes, without close_notify
  }
}

}  // namespace corio::net::detail
