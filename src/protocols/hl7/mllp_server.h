// MllpServer: an HL7 v2 listener with MLLP framing (<VT> message <FS><CR>).
//
// Accepts connections on one address and port, each served on its own thread
// (at most max_connections at once; more are closed at once with a warning).
// Every framed message is passed to the handler and its answer sent back
// framed, in order, on the same connection. Bytes outside a frame are
// skipped; a frame over max_message_bytes is answered by the handler as
// unparseable (it gets the truncated text) and skipped. A connection idle for
// idle_timeout is closed. Start() binds and returns the port (0 = any free
// port); Stop() stops accepting, closes idle connections, joins. Thread-safe.
// With `tls` configured every connection starts with a TLS handshake (TLS 1.2+,
// a client certificate from tls.ca required when tls.verify_peer); a failed
// handshake (e.g. plain MLLP) is logged and the connection closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "protocols/tls/tls_context.h"

namespace systole::hl7 {

struct MllpConfig {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 2575;
  std::size_t max_connections = 64;
  std::size_t max_message_bytes = 16 << 20;
  std::chrono::seconds idle_timeout{600};
  tls::TlsFiles tls;  // cert + key given: MLLP over TLS only
};

// (message payload, peer "address:port") → the answer's payload.
using MllpHandler = std::function<std::string(std::string_view message, std::string_view peer)>;

class MllpServer {
 public:
  MllpServer(MllpConfig config, MllpHandler handler);
  ~MllpServer();
  MllpServer(const MllpServer&) = delete;
  MllpServer& operator=(const MllpServer&) = delete;

  // kUnavailable if the address cannot be bound, kInvalidArgument for unusable TLS files.
  Result<std::uint16_t> Start();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// MLLP framing of one payload.
std::string MllpFrame(std::string_view payload);

}  // namespace systole::hl7
