// HTTP request and response values shared by the server, the router and the
// handlers. Handlers never see Beast: they read an HttpRequest and return an
// HttpResponse (a whole body, or a stream written in chunks).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/scope.h"

namespace systole::http {

struct HttpRequest {
  std::string method;                                       // "GET", "POST", ...
  std::string path;                                         // decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;   // decoded, in order
  std::map<std::string, std::string> headers;               // names lower-case
  std::string body;
  std::map<std::string, std::string> path_params;           // filled by the router
  std::string remote;                                       // peer address
  bool secure = false;                                      // arrived over TLS (HTTPS listener)
  std::string user;                                         // who is asking, set by the router's authenticator
  std::string role;                                         // the user's role (services/security), same
  domain::StudyScope scope;                                 // the studies the user may see, same (default: all)
  std::string study;                                        // the study the request concerns, when the authenticator found one

  std::string Header(std::string_view name) const;          // "" if absent
  std::optional<std::string> Param(std::string_view name) const;       // first query value
  std::vector<std::string> Params(std::string_view name) const;        // every value
  const std::string& PathParam(const std::string& name) const { return path_params.at(name); }
};

// Receives a streamed body. Write returns false once the client is gone.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  virtual bool Write(std::string_view bytes) = 0;
  // `length` bytes of the open file `fd` from `offset`; the server sends them without
  // copying through user space where it can (sendfile). The default reads and writes.
  virtual bool WriteFile(int fd, std::uint64_t offset, std::uint64_t length);
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is produced by this function (chunked transfer
  // encoding), so large payloads are never held in memory whole.
  std::function<void(BodyWriter&)> stream;
  // A streamed body of known length is sent with Content-Length instead of chunks (less framing
  // for the client to parse; the whole body goes file → socket when it is made of files).
  std::optional<std::uint64_t> stream_length;

  HttpResponse& With(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static HttpResponse Json(int status, std::string body, std::string content_type = "application/json");
  // {"error": {"status": N, "message": "..."}} with the right status.
  static HttpResponse Error(int status, std::string_view message);
};

std::string PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace systole::http
