// TLS policy shared by every listener and client of Systole (HTTPS, DICOM TLS
// is DCMTK's own, MLLP, syslog): OpenSSL contexts that speak TLS 1.2 or 1.3
// only, with forward-secret AEAD cipher suites, and certificate helpers.
//
//   auto ctx = tls::ServerContext({.cert = "server.pem", .key = "server.key"});
//   if (!ctx) ... ctx.error().message names the file and OpenSSL's reason.
//
// Contexts are immutable after creation and safe to share between threads.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"

namespace systole::tls {

struct TlsFiles {
  std::filesystem::path cert;  // PEM certificate (chain) of this side
  std::filesystem::path key;   // PEM private key of `cert`
  std::filesystem::path ca;    // PEM CA bundle that peer certificates must chain to; empty: none (server) / system (client)
  bool verify_peer = false;    // server: require and verify a client certificate (needs `ca`)
};

// True when cert and key are both given (the listener should speak TLS).
inline bool Configured(const TlsFiles& files) { return !files.cert.empty() && !files.key.empty(); }

struct ContextDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using ContextPtr = std::unique_ptr<SSL_CTX, ContextDeleter>;

// Applies the protocol policy (TLS >= 1.2, modern ciphers, no compression, no
// renegotiation) and loads `files` into an existing server context (e.g. the
// one inside boost::asio::ssl::context). kInvalidArgument names the file that
// cannot be read or the key that does not match the certificate.
Status ConfigureServer(SSL_CTX* ctx, const TlsFiles& files);

// A new server context configured by ConfigureServer.
Result<ContextPtr> ServerContext(const TlsFiles& files);

// A client context: the same policy, the server is verified against `files.ca`
// (system trust store when empty); `files.cert`/`key` are sent when given.
Result<ContextPtr> ClientContext(const TlsFiles& files);

// The subject CN of the peer's certificate; "" without a certificate.
std::string PeerCommonName(const SSL* ssl);

// The subject CN of a DER-encoded certificate; "" if it cannot be parsed.
std::string CommonNameOfDer(std::span<const std::uint8_t> der);

// OpenSSL's error queue as one line (and cleared); "" when empty.
std::string TakeErrors();

}  // namespace systole::tls
