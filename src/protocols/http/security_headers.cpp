#include "protocols/http/security_headers.h"

#include <algorithm>
#include <cctype>

namespace systole::http {
namespace {

bool Has(const HttpResponse& response, std::string_view name) {
  return std::any_of(response.headers.begin(), response.headers.end(), [&](const auto& header) {
    return std::equal(header.first.begin(), header.first.end(), name.begin(), name.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
  });
}

void Default(HttpResponse& response, std::string name, std::string value) {
  if (!Has(response, name)) response.With(std::move(name), std::move(value));
}

}  // namespace

// 'wasm-unsafe-eval' lets the viewer compile its WebAssembly JPEG decoder (and nothing else: eval
// and inline scripts stay refused).
std::string ContentSecurityPolicy(const SecurityHeaders& config) {
  std::string ancestors;
  for (const auto& source : config.frame_ancestors) ancestors += (ancestors.empty() ? "" : " ") + source;
  if (ancestors.empty()) ancestors = "'self'";
  return "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' blob: data:; "
         "media-src 'self' blob:; worker-src 'self' blob:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
         "form-action 'self'; frame-ancestors " +
         ancestors;
}

void ApplySecurityHeaders(HttpResponse& response, const SecurityHeaders& config, bool over_tls) {
  Default(response, "Content-Security-Policy", ContentSecurityPolicy(config));
  const auto& ancestors = config.frame_ancestors;
  if (ancestors.empty() || (ancestors.size() == 1 && ancestors[0] == "'self'"))
    Default(response, "X-Frame-Options", "SAMEORIGIN");
  else if (ancestors.size() == 1 && ancestors[0] == "'none'")
    Default(response, "X-Frame-Options", "DENY");
  Default(response, "X-Content-Type-Options", "nosniff");
  Default(response, "Referrer-Policy", "no-referrer");
  if (over_tls)
    Default(response, "Strict-Transport-Security", "max-age=" + std::to_string(config.hsts_max_age_seconds));
  Default(response, "Cache-Control", "no-store");
}

}  // namespace systole::http
