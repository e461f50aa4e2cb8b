// The permission matrix: every role × every route of `systole serve` (built by
// AddAllRoutes, as serve does), through the real router and access gate, on a
// real archive. Expected: allowed ⇔ the role holds the route's permission in
// config/permissions.json. A route without a rule fails the test.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>

#include "server/routes.h"

namespace systole::server {
namespace {

class RoutePermissionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / fmt::format("systole_route_permissions_{}", ::getpid());
    std::filesystem::remove_all(dir_);
    config_.data_dir = dir_;
    config_.permissions_file = std::filesystem::path(SYSTOLE_SOURCE_DIR) / "config/permissions.json";
    config_.templates_dir = std::filesystem::path(SYSTOLE_SOURCE_DIR) / "templates";
    auto archive = Archive::Open(config_);
    ASSERT_TRUE(archive) << archive.error().message;
    archive_ = std::move(*archive);
    gate_ = std::make_unique<access::AccessGate>(archive_->security().auth(), archive_->security().audit(),
                                                 access::GateConfig{});
    gate_->Install(router_);
    AddAllRoutes(router_, *archive_, site_, {});
    for (const auto& role : archive_->security().permissions().Roles())
      ASSERT_TRUE(archive_->security().auth().AddUser("user-" + role, role, "a-long-password"));
  }
  void TearDown() override {
    archive_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A request for `route` with every {parameter} filled in.
  static http::HttpRequest RequestFor(const http::RouteInfo& route) {
    http::HttpRequest request;
    request.method = route.method;
    request.path = std::regex_replace(route.pattern, std::regex(R"(\{[^}]+\})"), "1");
    request.remote = "127.0.0.1";
    return request;
  }

  std::filesystem::path dir_;
  Config config_;
  std::unique_ptr<Archive> archive_;
  http::StaticFiles site_{"/nonexistent-viewer"};
  http::Router router_;
  std::unique_ptr<access::AccessGate> gate_;
};

TEST_F(RoutePermissionsTest, EveryRoleOnEveryRouteGetsWhatThePermissionTableSays) {
  const auto& table = archive_->security().permissions();
  const auto routes = router_.Routes();
  ASSERT_GT(routes.size(), 30u);
  std::size_t checked = 0;
  for (const auto& route : routes) {
    const security::RouteRule* rule = table.Rule(route.method, route.pattern);
    if (!rule) {
      ADD_FAILURE() << route.method << " " << route.pattern << " has no rule in config/permissions.json";
      continue;
    }
    EXPECT_EQ(route.open, rule->permission == "public") << route.method << " " << route.pattern;
    http::HttpRequest anonymous = RequestFor(route);
    const int anonymous_status = router_.Dispatch(anonymous).status;
    if (route.open)
      EXPECT_NE(anonymous_status, 401) << route.pattern;
    else
      EXPECT_EQ(anonymous_status, 401) << route.method << " " << route.pattern << " without credentials";
    for (const auto& role : table.Roles()) {
      auto token = archive_->security().auth().CreateApiToken("user-" + role, "matrix");
      ASSERT_TRUE(token);
      http::HttpRequest request = RequestFor(route);
      request.headers["authorization"] = "Bearer " + *token;
      const int status = router_.Dispatch(request).status;
      const bool expected = table.Allows(role, rule->permission);
      if (expected)
        EXPECT_TRUE(status != 401 && status != 403) << role << " " << route.method << " " << route.pattern << " → " << status;
      else
        EXPECT_EQ(status, 403) << role << " " << route.method << " " << route.pattern;
      ++checked;
    }
  }
  EXPECT_EQ(checked, routes.size() * table.Roles().size());
}

TEST_F(RoutePermissionsTest, ARouteWithoutARuleIsNamed) {
  router_.Add({"GET", "/api/new-feature/{id}", "", ""}, [](const http::HttpRequest&) { return http::HttpResponse::Json(200, "{}"); });
  std::vector<security::RouteKey> keys;
  for (const auto& route : router_.Routes()) keys.push_back({route.method, route.pattern, route.open});
  auto problems = archive_->security().permissions().Check(keys);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "GET /api/new-feature/{id}: no rule in the permission table");
  // And the gate fails closed for it, even for an admin.
  auto token = archive_->security().auth().CreateApiToken("user-admin", "matrix");
  http::HttpRequest request = RequestFor({"GET", "/api/new-feature/{id}"});
  request.headers["authorization"] = "Bearer " + *token;
  EXPECT_EQ(router_.Dispatch(request).status, 403);
}

}  // namespace
}  // namespace systole::server
