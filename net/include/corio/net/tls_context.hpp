// TLS configuration shared by many connections (OpenSSL 3): certificates and keys, whom to
// trust, verification, ALPN. No OpenSSL header appears here.
#pragma once

#include <corio/result.hpp>

#include <memory>
#include <string>
#include <vector>

namespace corio::net {

namespace detail {
struct tls_context_state;
}

/// How a client connects.
struct tls_client_options {
  /// PEM file of the CAs to trust; empty: the system's store (OpenSSL's default paths).
  std::string ca_file{};
  /// Verify the server's certificate chain and, given a host name, the name. On by default;
  /// turning it off makes the connection open to anyone in the middle.
  bool verify_peer = true;
  /// A client certificate (PEM chain) and its key, for servers that ask for one; optional.
  std::string cert_chain_file{};
  std::string private_key_file{};
  /// Protocols offered by ALPN, most preferred first ("h2", "http/1.1"); empty: no ALPN.
  std::vector<std::string> alpn{};
};

/// How a server accepts.
struct tls_server_options {
  std::string cert_chain_file{};   ///< PEM: the server's certificate, then any intermediates
  std::string private_key_file{};  ///< PEM
  /// Require clients to present a certificate that ca_file verifies.
  bool verify_client = false;
  std::string ca_file{};
  /// Protocols accepted by ALPN, most preferred first: the first one the client also offers is
  /// selected; a client offering ALPN but none of these fails the handshake. Empty: no ALPN.
  std::vector<std::string> alpn{};
};

/// A client or server TLS configuration (an SSL_CTX). Copies share it; streams keep it alive.
/// Built once, used from any number of connections on the runtime's thread.
class tls_context {
 public:
  /// Errors: openssl_category() (an unreadable or mismatched certificate or key, with OpenSSL's
  /// reason), errc::invalid_argument (a server without certificate or key, a bad ALPN name).
  static result<tls_context> client(const tls_client_options& options = {});
  static result<tls_context> server(const tls_server_options& options);

  bool is_server() const noexcept;
  const std::shared_ptr<detail::tls_context_state>& state() const noexcept { return state_; }

 private:
  explicit tls_context(std::shared_ptr<detail::tls_context_state> s) noexcept : state_(std::move(s)) {}
  std::shared_ptr<detail::tls_context_state> state_;
};

}  // namespace corio::net
