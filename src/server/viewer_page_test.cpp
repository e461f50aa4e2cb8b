#include "server/viewer_page.h"

#include <gtest/gtest.h>

namespace systole::server {
namespace {

const std::string kPage = "<body><!--systole:boot-poster--><div id=\"app\"></div></body>";

http::HttpResponse Page(std::string body = kPage) {
  http::HttpResponse response;
  response.body = std::move(body);
  response.With("Content-Type", "text/html; charset=utf-8");
  return response;
}

http::HttpRequest Get(std::string path, std::vector<std::pair<std::string, std::string>> query = {}) {
  http::HttpRequest request;
  request.method = "GET";
  request.path = std::move(path);
  request.query = std::move(query);
  return request;
}

TEST(ViewerPage, AStudysViewerUrlCarriesItsThumbnailAtFullSize) {
  auto response = Page();
  AddBootPoster(Get("/viewer/1.2.840.113619.2.5"), response);
  EXPECT_EQ(response.body,
            "<body><img id=\"boot-poster\" class=\"boot-poster\" elementtiming=\"boot-poster\" alt=\"\" "
            "src=\"/dicomweb/studies/1.2.840.113619.2.5/thumbnail?viewport=4096,4096\"><div id=\"app\"></div></body>");
}

TEST(ViewerPage, OtherPagesAndPathsThatAreNotAUidKeepThePageAsItIs) {
  for (const char* path : {"/", "/studies", "/viewer/", "/viewer/1.2/extra", "/viewer/1.2\"><script>", "/viewer/.1.2",
                           "/viewer/1..2", "/viewer/1.2.", "/viewer/abc", "/report/1.2.3"}) {
    auto response = Page();
    AddBootPoster(Get(path), response);
    EXPECT_EQ(response.body, kPage) << path;
  }
  auto too_long = Page();
  AddBootPoster(Get("/viewer/" + std::string(65, '1')), too_long);
  EXPECT_EQ(too_long.body, kPage);
}

TEST(ViewerPage, LosslessReviewErrorsAndPagesWithoutTheMarkerAreLeftAlone) {
  auto png = Page();
  AddBootPoster(Get("/viewer/1.2.3", {{"format", "png"}}), png);
  EXPECT_EQ(png.body, kPage);

  auto error = Page();
  error.status = 503;
  AddBootPoster(Get("/viewer/1.2.3"), error);
  EXPECT_EQ(error.body, kPage);

  http::HttpResponse script;
  script.body = kPage;
  script.With("Content-Type", "text/javascript; charset=utf-8");
  AddBootPoster(Get("/viewer/1.2.3"), script);
  EXPECT_EQ(script.body, kPage);

  auto plain = Page("<body><div id=\"app\"></div></body>");
  AddBootPoster(Get("/viewer/1.2.3"), plain);
  EXPECT_EQ(plain.body, "<body><div id=\"app\"></div></body>");
}

}  // namespace
}  // namespace systole::server
