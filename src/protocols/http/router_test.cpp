#include "protocols/http/router.h"

#include <gtest/gtest.h>

namespace systole::http {
namespace {

Router MakeRouter() {
  Router router;
  router.Add({"GET", "/dicomweb/studies/{study}/series", "series of a study", ""},
             [](const HttpRequest& r) { return HttpResponse::Json(200, "\"" + r.PathParam("study") + "\""); });
  router.Add({"GET", "/api/things", "lists things", "all of them"},
             [](const HttpRequest&) { return HttpResponse::Json(200, "[]"); });
  return router;
}

HttpResponse Get(const Router& router, std::string path, std::string method = "GET") {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  return router.Dispatch(request);
}

TEST(RouterTest, CapturesPathParameters) {
  auto router = MakeRouter();
  auto r = Get(router, "/dicomweb/studies/1.2.3/series");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "\"1.2.3\"");
}

TEST(RouterTest, UnknownPathsAndMethods) {
  auto router = MakeRouter();
  EXPECT_EQ(Get(router, "/dicomweb/nothing").status, 404);
  EXPECT_EQ(Get(router, "/api/things", "DELETE").status, 405);
  EXPECT_NE(Get(router, "/api/things", "DELETE").body.find("\"status\":405"), std::string::npos);
}

TEST(RouterTest, RefusesTraversalAndEncodedSlashes) {
  auto router = MakeRouter();
  EXPECT_EQ(Get(router, "/dicomweb/studies/../series").status, 400);
  EXPECT_EQ(Get(router, "/dicomweb/studies/%2e%2e/series").status, 400);
  EXPECT_EQ(Get(router, "/dicomweb/studies/a%2Fb/series").status, 400);
}

TEST(RouterTest, OpenApiListsApiRoutes) {
  auto doc = MakeRouter().OpenApiJson("Systole", "0.1");
  EXPECT_NE(doc.find("\"/api/things\""), std::string::npos);
  EXPECT_NE(doc.find("lists things"), std::string::npos);
  EXPECT_EQ(doc.find("/dicomweb"), std::string::npos);
}

TEST(PercentDecodeTest, DecodesQueryText) {
  EXPECT_EQ(PercentDecode("DOE%5EJOHN+X", true), "DOE^JOHN X");
  EXPECT_EQ(PercentDecode("100%", false), "100%");
}

TEST(RouterAuthTest, AuthenticatorRunsBeforeEveryRouteButOpenOnes) {
  Router router;
  router.Add({"GET", "/healthz", "", "", true}, [](const HttpRequest& r) { return HttpResponse::Json(200, "\"" + r.user + "\""); });
  router.Add({"GET", "/dicomweb/studies", "", ""}, [](const HttpRequest& r) { return HttpResponse::Json(200, "\"" + r.user + "\""); });
  int calls = 0;
  std::string seen_pattern;
  router.SetAuthenticator([&](HttpRequest& r, const RouteInfo& route) -> std::optional<HttpResponse> {
    ++calls;
    seen_pattern = route.method + " " + route.pattern;
    if (r.Header("authorization").empty()) return HttpResponse::Error(401, "sign in");
    r.user = "alice";
    return std::nullopt;
  });
  HttpRequest request;
  request.method = "GET";
  request.path = "/dicomweb/studies";
  EXPECT_EQ(router.Dispatch(request).status, 401);
  request.headers["authorization"] = "Bearer x";
  auto ok = router.Dispatch(request);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "\"alice\"");
  HttpRequest health;
  health.method = "GET";
  health.path = "/healthz";
  EXPECT_EQ(router.Dispatch(health).status, 200);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(seen_pattern, "GET /dicomweb/studies");
}

TEST(RouterAuthTest, ObserverSeesMatchedRoutesWithTheirAnswerRefusalsIncluded) {
  Router router;
  router.Add({"GET", "/dicomweb/studies/{study}", "", ""}, [](const HttpRequest&) { return HttpResponse::Json(200, "{}"); });
  router.SetAuthenticator([](HttpRequest& r, const RouteInfo&) -> std::optional<HttpResponse> {
    if (r.Header("authorization").empty()) return HttpResponse::Error(401, "sign in");
    return std::nullopt;
  });
  std::vector<std::string> seen;
  router.SetObserver([&](const HttpRequest& r, const RouteInfo& route, const HttpResponse& response) {
    seen.push_back(route.pattern + " " + r.path_params.at("study") + " " + std::to_string(response.status));
  });
  HttpRequest request;
  request.method = "GET";
  request.path = "/dicomweb/studies/1.2.3";
  router.Dispatch(request);
  request.headers["authorization"] = "Bearer x";
  router.Dispatch(request);
  request.path = "/nowhere";
  router.Dispatch(request);
  EXPECT_EQ(seen, (std::vector<std::string>{"/dicomweb/studies/{study} 1.2.3 401", "/dicomweb/studies/{study} 1.2.3 200"}));
  ASSERT_EQ(router.Routes().size(), 1u);
  EXPECT_EQ(router.Routes()[0].pattern, "/dicomweb/studies/{study}");
}

}  // namespace
}  // namespace systole::http
