#include "protocols/http/security_headers.h"

#include <gtest/gtest.h>

namespace systole::http {
namespace {

std::string Get(const HttpResponse& response, std::string_view name) {
  for (const auto& [n, v] : response.headers)
    if (n == name) return v;
  return "<absent>";
}

int Count(const HttpResponse& response, std::string_view name) {
  int n = 0;
  for (const auto& header : response.headers) n += header.first == name;
  return n;
}

TEST(SecurityHeaders, PlainAnswerGetsEverythingButHsts) {
  HttpResponse response = HttpResponse::Json(200, "{}");
  ApplySecurityHeaders(response, {}, false);
  EXPECT_EQ(Get(response, "Content-Security-Policy"),
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' blob: data:; "
            "media-src 'self' blob:; worker-src 'self' blob:; font-src 'self' data:; object-src 'none'; base-uri "
            "'self'; form-action 'self'; frame-ancestors 'self'");
  EXPECT_EQ(Get(response, "X-Frame-Options"), "SAMEORIGIN");
  EXPECT_EQ(Get(response, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Get(response, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(Get(response, "Cache-Control"), "no-store");
  EXPECT_EQ(Get(response, "Strict-Transport-Security"), "<absent>");
}

TEST(SecurityHeaders, HstsOnlyOverTls) {
  HttpResponse response;
  ApplySecurityHeaders(response, {}, true);
  EXPECT_EQ(Get(response, "Strict-Transport-Security"), "max-age=31536000");
}

TEST(SecurityHeaders, HandlerCachePolicyWins) {
  HttpResponse response;
  response.With("Cache-Control", "public, max-age=31536000, immutable");
  ApplySecurityHeaders(response, {}, false);
  EXPECT_EQ(Count(response, "Cache-Control"), 1);
  EXPECT_EQ(Get(response, "Cache-Control"), "public, max-age=31536000, immutable");
}

TEST(SecurityHeaders, FrameAncestorsListDropsXFrameOptions) {
  HttpResponse listed;
  ApplySecurityHeaders(listed, {{"'self'", "https://ehr.example.org"}}, false);
  EXPECT_NE(Get(listed, "Content-Security-Policy").find("frame-ancestors 'self' https://ehr.example.org"),
            std::string::npos);
  EXPECT_EQ(Get(listed, "X-Frame-Options"), "<absent>");
  HttpResponse none;
  ApplySecurityHeaders(none, {{"'none'"}}, false);
  EXPECT_EQ(Get(none, "X-Frame-Options"), "DENY");
}

}  // namespace
}  // namespace systole::http
