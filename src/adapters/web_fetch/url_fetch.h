// A tiny HTTP/1.1 GET client (Boost.Beast) for small documents such as an
// OpenID Connect issuer's JWKS: http:// or https:// (OpenSSL, the system's
// trusted CAs, host name checked); one request per call, no redirects,
// bounded size and time. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "base/result.h"

namespace systole::adapters {

struct UrlParts {
  std::string host;
  std::string port;
  std::string target;  // path and query, "/" at least
  bool tls = false;    // https
};

// kInvalidArgument for anything but http(s)://host[:port][/path].
Result<UrlParts> ParseHttpUrl(const std::string& url);

// The body of a 200 answer. kUnavailable when the host cannot be reached, the
// time runs out, the TLS certificate is not trusted or not the host's, the
// status is not 200 or the body exceeds max_bytes.
Result<std::string> FetchUrl(const std::string& url, std::chrono::seconds timeout = std::chrono::seconds(5),
                             std::size_t max_bytes = 1 << 20);

}  // namespace systole::adapters
