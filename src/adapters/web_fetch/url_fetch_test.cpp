#include "adapters/web_fetch/url_fetch.h"

#include <gtest/gtest.h>

namespace systole::adapters {
namespace {

TEST(ParseHttpUrlTest, SplitsHostPortAndTarget) {
  auto parts = ParseHttpUrl("http://127.0.0.1:8081/realms/cardio/certs?x=1");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->host, "127.0.0.1");
  EXPECT_EQ(parts->port, "8081");
  EXPECT_EQ(parts->target, "/realms/cardio/certs?x=1");
  parts = ParseHttpUrl("http://idp.example.org");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->port, "80");
  EXPECT_EQ(parts->target, "/");
  parts = ParseHttpUrl("http://[::1]:9000/jwks");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->host, "::1");
  EXPECT_EQ(parts->port, "9000");
  parts = ParseHttpUrl("https://idp.example.org/realms/cardio/protocol/openid-connect/certs");
  ASSERT_TRUE(parts);
  EXPECT_TRUE(parts->tls);
  EXPECT_EQ(parts->port, "443");
}

TEST(ParseHttpUrlTest, RefusesOtherSchemesAndCredentials) {
  for (const char* url : {"ftp://idp/jwks", "file:///etc/jwks.json", "http://", "http://user:pw@idp/jwks",
                          "http://idp:http/jwks", "http://idp:/jwks", "/etc/jwks.json"})
    EXPECT_FALSE(ParseHttpUrl(url)) << url;
}

TEST(FetchUrlTest, UnreachableHostIsUnavailable) {
  auto body = FetchUrl("http://127.0.0.1:1/jwks", std::chrono::seconds(2));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace systole::adapters
