#include "protocols/tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

namespace systole::tls {
namespace {

// Forward-secret AEAD suites for TLS 1.2 (TLS 1.3 suites are all acceptable).
constexpr const char* kCiphers12 =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Error Bad(const std::string& what) { return Error{ErrorCode::kInvalidArgument, what + ": " + TakeErrors()}; }

Status ApplyPolicy(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return std::unexpected(Bad("TLS minimum version"));
  if (SSL_CTX_set_cipher_list(ctx, kCiphers12) != 1) return std::unexpected(Bad("TLS cipher list"));
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
  return {};
}

Status LoadOwn(SSL_CTX* ctx, const TlsFiles& files) {
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1)
    return std::unexpected(Bad("TLS certificate " + files.cert.string()));
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
      return std::unexpected(Bad("TLS private key " + files.key.string() + " does not match " + files.cert.string()));
    return std::unexpected(Bad("TLS private key " + files.key.string()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return std::unexpected(Bad("TLS private key " + files.key.string() + " does not match " + files.cert.string()));
  return {};
}

}  // namespace

std::string TakeErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

Status ConfigureServer(SSL_CTX* ctx, const TlsFiles& files) {
  SYSTOLE_RETURN_IF_ERROR(ApplyPolicy(ctx));
  SYSTOLE_RETURN_IF_ERROR(LoadOwn(ctx, files));
  if (!files.ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, files.ca.c_str(), nullptr) != 1)
      return std::unexpected(Bad("TLS CA file " + files.ca.string()));
    // Tell clients which CAs we accept.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str())) SSL_CTX_set_client_CA_list(ctx, names);
  }
  if (files.verify_peer) {
    if (files.ca.empty())
      return Fail(ErrorCode::kInvalidArgument, "TLS peer verification needs a CA file (tls_ca)");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return {};
}

Result<ContextPtr> ServerContext(const TlsFiles& files) {
  ContextPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return std::unexpected(Bad("TLS server context"));
  SYSTOLE_RETURN_IF_ERROR(ConfigureServer(ctx.get(), files));
  return ctx;
}

Result<ContextPtr> ClientContext(const TlsFiles& files) {
  ContextPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return std::unexpected(Bad("TLS client context"));
  SYSTOLE_RETURN_IF_ERROR(ApplyPolicy(ctx.get()));
  if (!files.cert.empty() || !files.key.empty()) SYSTOLE_RETURN_IF_ERROR(LoadOwn(ctx.get(), files));
  const int loaded = files.ca.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                                      : SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr);
  if (loaded != 1) return std::unexpected(Bad("TLS CA file " + files.ca.string()));
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

namespace {
std::string CommonName(X509* cert) {
  if (!cert) return "";
  char cn[256] = {};
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  return n > 0 ? std::string(cn, static_cast<std::size_t>(n)) : std::string();
}
}  // namespace

std::string PeerCommonName(const SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  std::string cn = CommonName(cert);
  X509_free(cert);
  return cn;
}

std::string CommonNameOfDer(std::span<const std::uint8_t> der) {
  const unsigned char* p = der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  std::string cn = CommonName(cert);
  X509_free(cert);
  return cn;
}

}  // namespace systole::tls
