// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast, one thread per
// connection (bounded), streaming responses in chunks, request size limits,
// idle timeouts, and one log line per request (method, path, status, bytes, ms).
// With `tls` configured every connection starts with a TLS handshake (TLS 1.2+);
// with `redirect_to_https_port` every request is answered 301 to https:// on
// that port, with no data. Every answer carries the security headers
// (security_headers.h).
//
// Start() binds and returns the port (0 = any free port). Stop() closes the
// listener, lets requests in progress finish and joins every thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocols/http/router.h"
#include "protocols/http/security_headers.h"
#include "protocols/tls/tls_context.h"

namespace systole::http {

struct HttpConfig {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t max_connections = 64;
  std::size_t max_body_bytes = std::size_t{2} << 30;  // STOW of a big study
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::seconds idle_timeout{60};
  std::vector<std::string> cors_origins;  // origins allowed by CORS ("*": any); empty: no CORS headers
  tls::TlsFiles tls;                       // cert + key given: this listener speaks HTTPS only
  std::uint16_t redirect_to_https_port = 0;  // non-zero: answer everything 301 → https://host:port/…
  SecurityHeaders security_headers;
};

class HttpServer {
 public:
  HttpServer(HttpConfig config, const Router& router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // kInvalidArgument for unreadable TLS files, kUnavailable if the port cannot be bound.
  Result<std::uint16_t> Start();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace systole::http
