// The gate's data-level checks: per-study 404 outside a scope, share sessions
// (410 once revoked), break-glass accesses flagged in the audit trail.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/memory/memory_access_grants.h"
#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_security_store.h"
#include "adapters/test_records.h"
#include "protocols/access/access.h"

namespace systole::access {
namespace {

const char* kTable = R"({"permissions": {"read": "", "break_glass": ""},
  "roles": {"admin": ["read"], "cardiologist": ["read"], "fellow": [], "sonographer": [], "technologist": [],
            "referring": ["read", "break_glass"], "ai": [], "auditor": [], "share": ["read"]},
  "scopes": {"referring": "own_patients", "share": "share"},
  "dicom_services": {"C-ECHO": "authenticated", "C-STORE": "read", "C-FIND": "read", "C-GET": "read", "C-MOVE": "read", "MWL-FIND": "read"}, "routes": [{"method": "GET", "pattern": "/dicomweb/studies/{study}/metadata", "permission": "read", "audit": "read"},
             {"method": "POST", "pattern": "/api/break-glass", "permission": "break_glass", "audit": "emergency"}]})";

class ScopeCheckTest : public ::testing::Test {
 protected:
  ScopeCheckTest()
      : table_(*security::PermissionTable::Parse(kTable)),
        auth_(store_, store_, table_, clock_, {}),
        audit_(store_, clock_, "TEST"),
        scopes_(grants_, index_, table_, clock_, {}),
        shares_(grants_, index_, audit_, clock_, {}),
        gate_(auth_, audit_, {}) {
    gate_.Install(router_);
    gate_.SetScope(scopes_, shares_, nullptr);
    router_.Add({"GET", "/dicomweb/studies/{study}/metadata", "", ""},
                [](const http::HttpRequest& r) { return http::HttpResponse::Json(200, "\"" + r.user + "\""); });
    AddScopeRoutes(router_, scopes_);
    for (auto [patient, study, referring] : {std::tuple{"P1", "1.2.1", "SMITH^JOHN"}, std::tuple{"P2", "1.2.2", "X^Y"}}) {
      auto record = adapters::contract::MakeRecord(patient, study, std::string(study) + ".1", std::string(study) + ".1.1");
      record.Set(domain::Attribute::ReferringPhysicianName, referring);
      EXPECT_TRUE(index_.AddInstance(record, false));
    }
    EXPECT_TRUE(auth_.AddUser("smith", "referring", "smith-password"));
    EXPECT_TRUE(scope::SetUserProfile(grants_, "smith", "SMITH^JOHN", {}, {"admin", 0}));
    token_ = *auth_.CreateApiToken("smith", "test");
  }
  http::HttpResponse Send(const std::string& method, const std::string& path, std::map<std::string, std::string> headers,
                          std::string body = "") {
    http::HttpRequest request;
    request.method = method;
    request.path = path;
    request.headers = std::move(headers);
    request.body = std::move(body);
    request.remote = "10.1.2.3";
    return router_.Dispatch(request);
  }
  std::map<std::string, std::string> Smith() const { return {{"authorization", "Bearer " + token_}}; }

  adapters::MemorySecurityStore store_;
  adapters::MemoryIndex index_;
  adapters::MemoryAccessGrants grants_;
  security::PermissionTable table_;
  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))};
  security::AuthService auth_;
  security::AuditTrail audit_;
  scope::ScopeService scopes_;
  scope::ShareService shares_;
  AccessGate gate_;
  http::Router router_;
  std::string token_;
};

TEST_F(ScopeCheckTest, AStudyOutsideTheScopeIsNotFound) {
  EXPECT_EQ(Send("GET", "/dicomweb/studies/1.2.1/metadata", Smith()).status, 200);
  auto other = Send("GET", "/dicomweb/studies/1.2.2/metadata", Smith());
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.body.find("1.2.2"), std::string::npos);
}

TEST_F(ScopeCheckTest, BreakGlassOpensTheStudyAndFlagsEachAccess) {
  auto granted = Send("POST", "/api/break-glass", Smith(), R"({"study": "1.2.2", "reason": "collapsed in clinic"})");
  ASSERT_EQ(granted.status, 201) << granted.body;
  EXPECT_EQ(Send("GET", "/dicomweb/studies/1.2.2/metadata", Smith()).status, 200);
  auto records = *audit_.Search({});
  ASSERT_EQ(records.size(), 2u);
  auto start = nlohmann::json::parse(records[0].message);
  EXPECT_EQ(start["EventIdentification"]["EventTypeCode"][0]["csd-code"], "110127");
  EXPECT_EQ(records[0].study, "1.2.2");
  EXPECT_TRUE(nlohmann::json::parse(records[1].message).value("SystoleEmergency", false));
  clock_.Advance(std::chrono::minutes(61));
  EXPECT_EQ(Send("GET", "/dicomweb/studies/1.2.2/metadata", Smith()).status, 404);
}

TEST_F(ScopeCheckTest, AShareSessionSeesItsStudyUntilRevoked) {
  auto created = shares_.Create({"1.2.2", "gp", false, false, "", 1, "dr"});
  ASSERT_TRUE(created);
  auto opened = shares_.Open(created->token, "", "ip");
  ASSERT_EQ(opened->state, scope::ShareState::kOpen);
  std::map<std::string, std::string> cookie{{"cookie", std::string(kShareCookie) + "=" + opened->session_token}};
  auto own = Send("GET", "/dicomweb/studies/1.2.2/metadata", cookie);
  EXPECT_EQ(own.status, 200);
  EXPECT_EQ(own.body, "\"share:" + created->share.id + "\"");
  EXPECT_EQ(Send("GET", "/dicomweb/studies/1.2.1/metadata", cookie).status, 404);
  ASSERT_TRUE(shares_.Revoke(created->share.id));
  EXPECT_EQ(Send("GET", "/dicomweb/studies/1.2.2/metadata", cookie).status, 410);
}

}  // namespace
}  // namespace systole::access
