#include "protocols/http/response_filters.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace systole::http {
namespace {

HttpRequest Get(std::map<std::string, std::string> headers) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/x";
  r.headers = std::move(headers);
  return r;
}

HttpResponse Ranged(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  r.With("Accept-Ranges", "bytes");
  return r;
}

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

TEST(RangeTest, ServesTheAskedBytes) {
  auto r = Ranged("0123456789");
  ApplyResponseFilters(Get({{"range", "bytes=2-5"}}), r, {});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "2345");
  EXPECT_EQ(HeaderOf(r, "Content-Range"), "bytes 2-5/10");
  r = Ranged("0123456789");
  ApplyResponseFilters(Get({{"range", "bytes=7-"}}), r, {});
  EXPECT_EQ(r.body, "789");
  r = Ranged("0123456789");
  ApplyResponseFilters(Get({{"range", "bytes=-3"}}), r, {});
  EXPECT_EQ(r.body, "789");
  r = Ranged("0123456789");
  ApplyResponseFilters(Get({{"range", "bytes=5-100"}}), r, {});
  EXPECT_EQ(r.body, "56789");
  EXPECT_EQ(HeaderOf(r, "Content-Range"), "bytes 5-9/10");
}

TEST(RangeTest, UnsatisfiableIs416AndBadRangesAreIgnored) {
  auto r = Ranged("0123456789");
  ApplyResponseFilters(Get({{"range", "bytes=10-12"}}), r, {});
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(HeaderOf(r, "Content-Range"), "bytes */10");
  for (std::string bad : {"bytes=a-b", "items=1-2", "bytes=1-2,4-5", "bytes=5"}) {
    r = Ranged("0123456789");
    ApplyResponseFilters(Get({{"range", bad}}), r, {});
    EXPECT_EQ(r.status, 200) << bad;
    EXPECT_EQ(r.body, "0123456789") << bad;
  }
  HttpResponse plain;  // no Accept-Ranges: the handler did not offer ranges
  plain.body = "0123456789";
  ApplyResponseFilters(Get({{"range", "bytes=1-2"}}), plain, {});
  EXPECT_EQ(plain.status, 200);
}

TEST(GzipTest, JsonIsCompressedWhenAccepted) {
  std::string json = "[";
  for (int i = 0; i < 500; ++i) json += R"({"00100010":{"vr":"PN"}},)";
  json += "{}]";
  auto r = HttpResponse::Json(200, json);
  ApplyResponseFilters(Get({{"accept-encoding", "gzip, deflate"}}), r, {});
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "gzip");
  ASSERT_LT(r.body.size(), json.size() / 5);
  std::string out(json.size(), '\0');  // inflate it back
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  z.next_in = reinterpret_cast<Bytef*>(r.body.data());
  z.avail_in = static_cast<uInt>(r.body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflateEnd(&z);
  EXPECT_EQ(out, json);
  auto plain = HttpResponse::Json(200, json);
  ApplyResponseFilters(Get({}), plain, {});
  EXPECT_EQ(plain.body, json);
}

TEST(CorsTest, OnlyAllowedOriginsGetHeaders) {
  auto r = HttpResponse::Json(200, "{}");
  ApplyResponseFilters(Get({{"origin", "https://evil.example"}}), r, {"https://viewer.example"});
  EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "");
  r = HttpResponse::Json(200, "{}");
  ApplyResponseFilters(Get({{"origin", "https://viewer.example"}}), r, {"https://viewer.example"});
  EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "https://viewer.example");
  HttpRequest preflight = Get({{"origin", "https://viewer.example"}, {"access-control-request-method", "POST"}});
  preflight.method = "OPTIONS";
  auto answer = CorsPreflight(preflight, {"https://viewer.example"});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 204);
  EXPECT_FALSE(CorsPreflight(preflight, {})->status == 204);
  EXPECT_FALSE(CorsPreflight(Get({}), {"*"}));
}

}  // namespace
}  // namespace systole::http
