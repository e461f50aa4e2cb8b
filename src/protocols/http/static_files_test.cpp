#include "protocols/http/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "protocols/http/router.h"

namespace systole::http {
namespace {

std::string HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [key, value] : r.headers)
    if (key == name) return value;
  return {};
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() / ("systole_static_test_" + std::to_string(::getpid()));
    root_ = base_ / "dist";
    std::filesystem::create_directories(root_ / "assets");
    std::ofstream(root_ / "index.html") << "<html>app</html>";
    std::ofstream(root_ / "assets" / "index-abc123.js") << "console.log(1)";
    std::ofstream(root_ / "favicon.svg") << "<svg/>";
    std::ofstream(base_ / "secret.txt") << "secret";
    std::filesystem::create_symlink(base_ / "secret.txt", root_ / "link.txt");
    router_.Add({"GET", "/dicomweb/studies", "search", ""}, [](const HttpRequest&) { return HttpResponse::Json(200, "[]"); });
    site_ = std::make_unique<StaticFiles>(root_);
    router_.SetFallback({"GET", "/", "viewer", ""}, [this](const HttpRequest& r) { return site_->Serve(r); });
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  HttpResponse Get(std::string path, std::string method = "GET") {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    return router_.Dispatch(request);
  }

  std::filesystem::path base_, root_;
  std::unique_ptr<StaticFiles> site_;
  Router router_;
};

TEST_F(StaticFilesTest, AppRoutesAnswerIndexHtmlUncached) {
  for (const char* path : {"/", "/studies", "/viewer/1.2.840.113857.1626", "/viewer/1.2.3/"}) {
    auto r = Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "<html>app</html>") << path;
    EXPECT_EQ(HeaderOf(r, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
  }
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableOthersRevalidated) {
  auto js = Get("/assets/index-abc123.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(HeaderOf(js, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(js, "Cache-Control"), "public, max-age=31536000, immutable");
  auto svg = Get("/favicon.svg");
  EXPECT_EQ(HeaderOf(svg, "Content-Type"), "image/svg+xml");
  EXPECT_EQ(HeaderOf(svg, "Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/assets/index-abc123.js", "HEAD").status, 200);
}

TEST_F(StaticFilesTest, MissingFilesAndServerPrefixesAre404) {
  EXPECT_EQ(Get("/assets/gone-123.js").status, 404);
  EXPECT_EQ(Get("/dicomweb/nothing").status, 404);
  EXPECT_EQ(Get("/api/nothing").status, 404);
  EXPECT_EQ(Get("/wado/x").status, 404);
  EXPECT_EQ(Get("/dicomweb/studies").status, 200);  // real routes still win
  EXPECT_EQ(Get("/studies", "POST").status, 405);
}

TEST_F(StaticFilesTest, NoTraversal) {
  EXPECT_EQ(Get("/../secret.txt").status, 400);
  EXPECT_EQ(Get("/assets/%2e%2e/%2e%2e/secret.txt").status, 400);
  EXPECT_EQ(Get("/assets%2F..%2F..%2Fsecret.txt").status, 400);
  EXPECT_EQ(Get("/link.txt").status, 404);  // a symlink out of the root
  HttpRequest direct;
  direct.method = "GET";
  direct.path = "/%2e%2e/secret.txt";
  EXPECT_EQ(site_->Serve(direct).status, 400);
}

TEST(StaticFilesNotBuiltTest, MissingRootAnswers503WithAHint) {
  StaticFiles site("/nonexistent/systole/web/dist");
  HttpRequest request;
  request.method = "GET";
  request.path = "/";
  auto r = site.Serve(request);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("viewer not built"), std::string::npos);
}

TEST(ContentTypeTest, ByExtension) {
  EXPECT_EQ(ContentTypeFor("a.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.wasm"), "application/wasm");
  EXPECT_EQ(ContentTypeFor("README"), "application/octet-stream");
}

}  // namespace
}  // namespace systole::http
