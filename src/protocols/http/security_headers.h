// The security headers of every HTTP answer, set in one place (HttpServer):
//   Content-Security-Policy  same-origin scripts, styles and connections; images,
//                            media and workers also from blob:/data: (decoded
//                            frames, cine); frame-ancestors from configuration
//   X-Frame-Options          SAMEORIGIN / DENY when frame-ancestors is just
//                            'self' / 'none'; absent for a list of origins (CSP rules)
//   X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer
//   Strict-Transport-Security  only on answers sent over TLS
//   Cache-Control: no-store  unless the handler chose a policy (static assets,
//                            rendered frames): API and patient data stay out of caches
#pragma once

#include <string>
#include <vector>

#include "protocols/http/http_types.h"

namespace systole::http {

struct SecurityHeaders {
  // CSP frame-ancestors sources, e.g. {"'self'", "https://ehr.example.org"}; empty: 'self'.
  std::vector<std::string> frame_ancestors;
  int hsts_max_age_seconds = 31536000;
};

// Adds the headers above to `response` (headers the handler set itself win).
void ApplySecurityHeaders(HttpResponse& response, const SecurityHeaders& config, bool over_tls);

// The Content-Security-Policy value for `config`; exposed for tests.
std::string ContentSecurityPolicy(const SecurityHeaders& config);

}  // namespace systole::http
