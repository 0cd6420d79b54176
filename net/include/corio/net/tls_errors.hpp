// TLS errors: corio's own TLS conditions (tls_errc) and OpenSSL's errors as std::error_codes.
#pragma once

#include <system_error>

namespace corio::net {

/// Conditions of a TLS stream that are not OpenSSL errors.
enum class tls_errc {
  truncated = 1,      ///< the peer closed the connection without close_notify: data may be missing
  closed,             ///< writing after shutdown(): close_notify was already sent
  write_interrupted,  ///< an earlier write was cancelled mid-record: the stream can no longer write
  handshake_closed,   ///< the peer closed the connection during the handshake
};

/// The category of tls_errc.
const std::error_category& tls_category() noexcept;

/// The category of OpenSSL's errors. Messages carry OpenSSL's reason text ("wrong version
/// number", "tlsv1 alert unknown ca"); a failed certificate check also says why, from the
/// verification result ("certificate verify failed: self-signed certificate").
const std::error_category& openssl_category() noexcept;

inline std::error_code make_error_code(tls_errc e) noexcept { return {static_cast<int>(e), tls_category()}; }

}  // namespace corio::net

template <>
struct std::is_error_code_enum<corio::net::tls_errc> : std::true_type {};
