// tls_context: building an SSL_CTX for a client or a server from plain options.
#include "net/src/tls_session.hpp"

#include <openssl/err.h>

namespace corio::net {

namespace {

using detail::tls_context_state;

// TLS 1.2 and 1.3 only; no renegotiation, so a read never has to write application records
// and a write never has to read.
result<std::shared_ptr<tls_context_state>> new_state(bool server) {
  ERR_clear_error();
  auto st = std::make_shared<tls_context_state>();
  st->server = server;
  st->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!st->ctx) return tl::unexpected(detail::openssl_error_from_queue(errno_code(ENOMEM)));
  SSL_CTX_set_min_proto_version(st->ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(st->ctx, SSL_OP_NO_RENEGOTIATION);
  // A write retried after WANT_WRITE may come from a moved buffer (same bytes).
  SSL_CTX_set_mode(st->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return st;
}

tl::unexpected<std::error_code> failed() { return tl::unexpected(detail::openssl_error_from_queue(errno_code(EINVAL))); }

result<void> load_identity(SSL_CTX* ctx, const std::string& chain, const std::string& key) {
  if (SSL_CTX_use_certificate_chain_file(ctx, chain.c_str()) != 1) return failed();
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) return failed();
  if (SSL_CTX_check_private_key(ctx) != 1) return failed();
  return {};
}

// ALPN's wire format: each name prefixed by its length (1..255 bytes).
result<std::vector<unsigned char>> alpn_wire(const std::vector<std::string>& names) {
  std::vector<unsigned char> wire;
  for (const auto& n : names) {
    if (n.empty() || n.size() > 255) return fail(errc::invalid_argument);
    wire.push_back(static_cast<unsigned char>(n.size()));
    wire.insert(wire.end(), n.begin(), n.end());
  }
  return wire;
}

// The server picks, in its own order of preference, the first protocol the client offers.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                void* arg) {
  const auto& mine = static_cast<tls_context_state*>(arg)->alpn;
  for (const auto& want : mine) {
    for (unsigned i = 0; i < inlen;) {
      const unsigned len = in[i];
      if (i + 1 + len > inlen) break;
      if (len == want.size() && std::equal(want.begin(), want.end(), in + i + 1)) {
        *out = in + i + 1;
        *outlen = static_cast<unsigned char>(len);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol (RFC 7301)
}

}  // namespace

result<tls_context> tls_context::client(const tls_client_options& options) {
  auto st = new_state(false);
  if (!st) return tl::unexpected(st.error());
  SSL_CTX* ctx = (*st)->ctx;
  SSL_CTX_set_verify(ctx, options.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_file(ctx, options.ca_file.c_str()) != 1) return failed();
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return failed();
  }
  if (!options.cert_chain_file.empty() || !options.private_key_file.empty()) {
    if (auto r = load_identity(ctx, options.cert_chain_file, options.private_key_file); !r) {
      return tl::unexpected(r.error());
    }
  }
  if (!options.alpn.empty()) {
    auto wire = alpn_wire(options.alpn);
    if (!wire) return tl::unexpected(wire.error());
    if (SSL_CTX_set_alpn_protos(ctx, wire->data(), static_cast<unsigned>(wire->size())) != 0) return failed();
  }
  return tls_context(std::move(*st));
}

result<tls_context> tls_context::server(const tls_server_options& options) {
  if (options.cert_chain_file.empty() || options.private_key_file.empty()) return fail(errc::invalid_argument);
  if (options.verify_client && options.ca_file.empty()) return fail(errc::invalid_argument);
  auto st = new_state(true);
  if (!st) return tl::unexpected(st.error());
  SSL_CTX* ctx = (*st)->ctx;
  if (auto r = load_identity(ctx, options.cert_chain_file, options.private_key_file); !r) {
    return tl::unexpected(r.error());
  }
  if (options.verify_client) {
    if (SSL_CTX_load_verify_file(ctx, options.ca_file.c_str()) != 1) return failed();
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str());
    if (names) SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  if (!options.alpn.empty()) {
    if (auto wire = alpn_wire(options.alpn); !wire) return tl::unexpected(wire.error());
    (*st)->alpn = options.alpn;
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, st->get());  // the state owns ctx: it outlives it
  }
  return tls_context(std::move(*st));
}

bool tls_context::is_server() const noexcept { return state_ && state_->server; }

}  // namespace corio::net
