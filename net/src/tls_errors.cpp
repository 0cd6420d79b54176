// The tls_errc and OpenSSL error categories, and turning OpenSSL's error queue into codes.
#include "net/src/tls_session.hpp"

#include <corio/result.hpp>

#include <cerrno>
#include <cstdio>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string>

namespace corio::net {

namespace {

class tls_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int value) const override {
    switch (static_cast<tls_errc>(value)) {
      case tls_errc::truncated:
        return "TLS stream truncated: the peer closed the connection without close_notify";
      case tls_errc::closed: return "TLS stream already shut down for writing (close_notify sent)";
      case tls_errc::write_interrupted:
        return "TLS stream cannot write: an earlier write was cancelled in the middle of a record";
      case tls_errc::handshake_closed: return "the peer closed the connection during the TLS handshake";
    }
    return "unknown TLS error";
  }
};

// Values: OpenSSL's packed (library, reason) code, or minus an X509_V_ERR_* verification
// result (so the message can say why a certificate was refused).
class openssl_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "openssl"; }
  std::string message(int value) const override {
    if (value < 0) {
      return std::string("certificate verify failed: ") + X509_verify_cert_error_string(-static_cast<long>(value));
    }
    if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(value))) return reason;
    char buf[48];
    std::snprintf(buf, sizeof(buf), "OpenSSL error 0x%08x", static_cast<unsigned>(value));
    return buf;
  }
};

}  // namespace

const std::error_category& tls_category() noexcept {
  static const tls_category_impl category;
  return category;
}

const std::error_category& openssl_category() noexcept {
  static const openssl_category_impl category;
  return category;
}

namespace detail {

namespace {

std::error_code code_of(unsigned long err, SSL* ssl) noexcept {
  if (ERR_SYSTEM_ERROR(err)) return errno_code(static_cast<int>(ERR_GET_REASON(err)));
  const int lib = ERR_GET_LIB(err);
  const int reason = ERR_GET_REASON(err);
  if (ssl && lib == ERR_LIB_SSL && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) return {-static_cast<int>(verify), openssl_category()};
  }
  return {static_cast<int>(ERR_PACK(lib, 0, reason)), openssl_category()};
}

}  // namespace

std::error_code openssl_error_from_queue(std::error_code fallback) noexcept {
  const unsigned long err = ERR_peek_error();  // the first: the cause; later entries add context
  std::error_code ec = err ? code_of(err, nullptr) : fallback;
  ERR_clear_error();
  return ec;
}

std::error_code openssl_error(SSL* ssl, int ssl_error) noexcept {
  const unsigned long err = ERR_peek_error();
  std::error_code ec;
  if (err) {
    ec = code_of(err, ssl);
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    ec = errno_code(errno ? errno : EIO);
  } else {
    ec = errno_code(EPROTO);
  }
  ERR_clear_error();
  return ec;
}

}  // namespace detail
}  // namespace corio::net
