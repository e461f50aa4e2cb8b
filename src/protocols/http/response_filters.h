// What the server does to every answer after the handler: byte ranges (Range),
// gzip for JSON (Accept-Encoding), CORS headers and preflights. Handlers stay
// unaware of all three.
#pragma once

#include <string>
#include <vector>

#include "protocols/http/http_types.h"

namespace systole::http {

// Answers a CORS preflight (OPTIONS with Access-Control-Request-Method) when the
// origin is allowed; nullopt for any other request.
std::optional<HttpResponse> CorsPreflight(const HttpRequest& request, const std::vector<std::string>& allowed_origins);

// Range: a whole-body 200 answer that says Accept-Ranges: bytes becomes 206 with
// the one range asked for (416 if unsatisfiable; several ranges: the whole body).
// Gzip: a JSON body over 1 KiB is compressed when the client accepts gzip.
// CORS: Access-Control-Allow-Origin for an allowed Origin ("*" allows every origin).
void ApplyResponseFilters(const HttpRequest& request, HttpResponse& response,
                          const std::vector<std::string>& allowed_origins);

// gzip (RFC 1952) of `data`; exposed for tests.
std::string Gzip(std::string_view data);

}  // namespace systole::http
