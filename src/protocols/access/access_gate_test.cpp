#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/memory/memory_security_store.h"
#include "protocols/access/access.h"

namespace systole::access {
namespace {

const char* kTable = R"({"permissions": {"read": "", "audit.read": ""},
  "roles": {"admin": ["read", "audit.read"], "cardiologist": ["read"], "fellow": [], "sonographer": [],
            "technologist": [], "referring": [], "ai": [], "auditor": ["audit.read"]},
  "dicom_services": {"C-ECHO": "authenticated", "C-STORE": "read", "C-FIND": "read", "C-GET": "read", "C-MOVE": "read", "MWL-FIND": "read"}, "routes": [{"method": "GET", "pattern": "/dicomweb/studies/{study}", "permission": "read", "audit": "read"},
             {"method": "POST", "pattern": "/api/auth/login", "permission": "public", "audit": "login"},
             {"method": "POST", "pattern": "/api/auth/logout", "permission": "authenticated", "audit": "logout"},
             {"method": "GET", "pattern": "/api/auth/me", "permission": "authenticated"},
             {"method": "POST", "pattern": "/api/auth/tokens", "permission": "audit.read"},
             {"method": "GET", "pattern": "/api/audit", "permission": "audit.read", "audit": "audit"}]})";

class AccessGateTest : public ::testing::Test {
 protected:
  explicit AccessGateTest(GateConfig config = {})
      : table_(*security::PermissionTable::Parse(kTable)),
        clock_(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))),
        auth_(store_, store_, table_, clock_, {}),
        audit_(store_, clock_, "TEST"),
        gate_(auth_, audit_, config) {
    gate_.Install(router_);
    router_.Add({"GET", "/dicomweb/studies/{study}", "", ""},
                [](const http::HttpRequest& r) { return http::HttpResponse::Json(200, "\"" + r.user + "\""); });
    AddRoutes(router_, auth_, audit_, config);
    EXPECT_TRUE(auth_.AddUser("carol", "cardiologist", "carol-password"));
    EXPECT_TRUE(auth_.AddUser("fred", "fellow", "fred-password1"));
  }
  http::HttpResponse Send(std::string method, std::string path, std::map<std::string, std::string> headers = {},
                          std::string body = "") {
    http::HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.headers = std::move(headers);
    request.body = std::move(body);
    request.remote = "10.1.2.3";
    return router_.Dispatch(request);
  }
  static std::string Header(const http::HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }
  std::string Login(const std::string& user, const std::string& password) {
    auto r = Send("POST", "/api/auth/login", {}, nlohmann::json{{"user", user}, {"password", password}}.dump());
    return r.status == 200 ? nlohmann::json::parse(r.body)["token"].get<std::string>() : "";
  }
  std::size_t AuditCount() { return audit_.Search({})->size(); }

  adapters::MemorySecurityStore store_;
  security::PermissionTable table_;
  FakeClock clock_;
  security::AuthService auth_;
  security::AuditTrail audit_;
  AccessGate gate_;
  http::Router router_;
};

TEST_F(AccessGateTest, NoCredentialsIs401WithWwwAuthenticateAndNothingElse) {
  auto r = Send("GET", "/dicomweb/studies/1.2.3");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Header(r, "WWW-Authenticate"), "Bearer realm=\"systole\"");
  EXPECT_EQ(r.body.find("1.2.3"), std::string::npos);
}

TEST_F(AccessGateTest, LoginSetsAStrictHttpOnlyCookieThatAuthenticates) {
  auto r = Send("POST", "/api/auth/login", {}, R"({"user": "carol", "password": "carol-password"})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string cookie = Header(r, "Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("systole_session=")) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  std::string token = nlohmann::json::parse(r.body)["token"];
  auto ok = Send("GET", "/dicomweb/studies/1.2", {{"cookie", "theme=dark; systole_session=" + token}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "\"carol\"");
  auto tampered = Send("GET", "/dicomweb/studies/1.2", {{"cookie", "systole_session=" + token.substr(1) + "A"}});
  EXPECT_EQ(tampered.status, 401);
  EXPECT_EQ(Send("GET", "/api/auth/me", {{"authorization", "Bearer " + token}}).status, 200);
}

TEST_F(AccessGateTest, WrongPasswordIs401AndLockoutIs429) {
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(Send("POST", "/api/auth/login", {}, R"({"user": "carol", "password": "nope"})").status, 401);
  auto locked = Send("POST", "/api/auth/login", {}, R"({"user": "carol", "password": "nope"})");
  EXPECT_EQ(locked.status, 429);
  EXPECT_NE(locked.body.find("locked"), std::string::npos);
  EXPECT_FALSE(Header(locked, "Retry-After").empty());
  EXPECT_EQ(Send("POST", "/api/auth/login", {}, R"({"user": "carol"})").status, 400);
}

TEST_F(AccessGateTest, ARoleWithoutThePermissionIs403) {
  std::string token = Login("fred", "fred-password1");
  ASSERT_FALSE(token.empty());
  auto r = Send("GET", "/dicomweb/studies/1.2", {{"authorization", "Bearer " + token}});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("lacks the permission read"), std::string::npos);
}

TEST_F(AccessGateTest, EachAuditedRequestLeavesExactlyOneRecord) {
  std::string token = Login("carol", "carol-password");
  ASSERT_EQ(AuditCount(), 1u);  // the sign-in
  Send("GET", "/dicomweb/studies/1.2.9", {{"authorization", "Bearer " + token}});
  ASSERT_EQ(AuditCount(), 2u);
  Send("GET", "/api/auth/me", {{"authorization", "Bearer " + token}});  // not patient data: not audited
  ASSERT_EQ(AuditCount(), 2u);
  auto records = *audit_.Search({.study = "1.2.9"});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].user, "carol");
  auto message = nlohmann::json::parse(records[0].message);
  EXPECT_EQ(message["ActiveParticipant"][0]["NetworkAccessPointID"], "10.1.2.3");
  EXPECT_EQ(message["ActiveParticipant"][0]["RoleIDCode"][0]["csd-code"], "cardiologist");
  auto login = (*audit_.Search({.user = "carol"}))[0];
  EXPECT_EQ(nlohmann::json::parse(login.message)["EventIdentification"]["EventID"]["csd-code"], "110114");
}

TEST_F(AccessGateTest, LogoutRevokesTheToken) {
  std::string token = Login("carol", "carol-password");
  auto out = Send("POST", "/api/auth/logout", {{"authorization", "Bearer " + token}});
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(Header(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Send("GET", "/api/auth/me", {{"authorization", "Bearer " + token}}).status, 401);
}

class DemoGateTest : public AccessGateTest {
 protected:
  DemoGateTest() : AccessGateTest(GateConfig{"demo", false}) {}
};

TEST_F(DemoGateTest, RequestsWithoutCredentialsAreTheDemoAdminButBadCredentialsAreStillRefused) {
  auto r = Send("GET", "/dicomweb/studies/1.2");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "\"demo\"");
  EXPECT_EQ(Send("GET", "/dicomweb/studies/1.2", {{"authorization", "Bearer forged"}}).status, 401);
}

}  // namespace
}  // namespace systole::access
