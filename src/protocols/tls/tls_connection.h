// A TLS session over an already connected, blocking socket (MLLP listener,
// syslog client). Give the socket SO_RCVTIMEO/SO_SNDTIMEO first: the handshake
// and every read and write block like the socket does.
//
//   auto tls = tls::Connection::Accept(ctx, fd);        // server side
//   auto tls = tls::Connection::Connect(ctx, fd, host);  // client side, host verified
//
// The Connection does not own the socket (close it after the Connection is
// gone). Not thread-safe: one thread per connection.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "protocols/tls/tls_context.h"

namespace systole::tls {

class Connection {
 public:
  // kUnavailable when the handshake fails (the reason is in the message).
  static Result<std::unique_ptr<Connection>> Accept(SSL_CTX* ctx, int fd);
  // Verifies that the server's certificate names `host` (DNS name or IP address).
  static Result<std::unique_ptr<Connection>> Connect(SSL_CTX* ctx, int fd, const std::string& host);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Bytes read (> 0), 0 when the peer closed, < 0 on error or timeout.
  ssize_t Read(char* buffer, std::size_t size);
  bool WriteAll(std::string_view data);
  // Decrypted bytes are buffered: read them before polling the socket again.
  bool Pending() const { return SSL_pending(ssl_) > 0; }
  std::string PeerCommonName() const { return tls::PeerCommonName(ssl_); }

 private:
  explicit Connection(SSL* ssl) : ssl_(ssl) {}
  SSL* ssl_;
};

}  // namespace systole::tls
