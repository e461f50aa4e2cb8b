#include "protocols/tls/tls_connection.h"

#include <openssl/x509v3.h>

#include <arpa/inet.h>

namespace systole::tls {
namespace {

Result<std::unique_ptr<Connection>> Handshake(SSL* ssl, bool server, std::unique_ptr<Connection> connection) {
  const int rc = server ? SSL_accept(ssl) : SSL_connect(ssl);
  if (rc == 1) return connection;
  std::string reason = TakeErrors();
  if (reason.empty()) reason = "connection closed or timed out during the handshake";
  if (!server && SSL_get_verify_result(ssl) != X509_V_OK)
    reason = std::string("server certificate: ") + X509_verify_cert_error_string(SSL_get_verify_result(ssl));
  return Fail(ErrorCode::kUnavailable, "TLS handshake failed: " + reason);
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Accept(SSL_CTX* ctx, int fd) {
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return Fail(ErrorCode::kInternal, "SSL_new: " + TakeErrors());
  std::unique_ptr<Connection> connection(new Connection(ssl));
  SSL_set_fd(ssl, fd);
  return Handshake(ssl, true, std::move(connection));
}

Result<std::unique_ptr<Connection>> Connection::Connect(SSL_CTX* ctx, int fd, const std::string& host) {
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return Fail(ErrorCode::kInternal, "SSL_new: " + TakeErrors());
  std::unique_ptr<Connection> connection(new Connection(ssl));
  SSL_set_fd(ssl, fd);
  unsigned char address[16];
  const bool is_ip = inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  return Handshake(ssl, false, std::move(connection));
}

Connection::~Connection() {
  SSL_shutdown(ssl_);
  SSL_free(ssl_);
}

ssize_t Connection::Read(char* buffer, std::size_t size) {
  std::size_t n = 0;
  if (SSL_read_ex(ssl_, buffer, size, &n) == 1) return static_cast<ssize_t>(n);
  const int error = SSL_get_error(ssl_, 0);
  TakeErrors();
  return error == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

bool Connection::WriteAll(std::string_view data) {
  while (!data.empty()) {
    std::size_t n = 0;
    if (SSL_write_ex(ssl_, data.data(), data.size(), &n) != 1) {
      TakeErrors();
      return false;
    }
    data.remove_prefix(n);
  }
  return true;
}

}  // namespace systole::tls
