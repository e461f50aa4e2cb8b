#include "services/security/permissions.h"

#include <gtest/gtest.h>

namespace systole::security {
namespace {

const std::string kRoles =
    R"("roles": {"admin": ["read", "admin"], "cardiologist": ["read"], "fellow": ["read"], "sonographer": [],
       "technologist": [], "referring": [], "ai": ["read"], "auditor": []})";

const std::string kDicomServices =
    R"("dicom_services": {"C-ECHO": "authenticated", "C-STORE": "admin", "C-FIND": "read", "C-GET": "read",
       "C-MOVE": "read", "MWL-FIND": "read"})";

std::string Table(const std::string& routes, const std::string& roles = kRoles, const std::string& dicom = kDicomServices) {
  return R"({"permissions": {"read": "", "admin": ""}, )" + roles + ", " + dicom + R"(, "routes": [)" + routes + "]}";
}

TEST(PermissionTableTest, TheShippedTableIsValid) {
  auto table = PermissionTable::Load(std::filesystem::path(SYSTOLE_SOURCE_DIR) / "config/permissions.json");
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_TRUE(table->Allows("cardiologist", "report.sign"));
  EXPECT_FALSE(table->Allows("fellow", "report.sign"));
  EXPECT_TRUE(table->Allows("auditor", "audit.read"));
  EXPECT_FALSE(table->Allows("auditor", "read"));
  // Referring physicians read, but only inside their scope (own patients, final reports).
  EXPECT_TRUE(table->Allows("referring", "read"));
  EXPECT_EQ(table->Scope("referring"), "own_patients");
  EXPECT_EQ(table->Scope("ai"), "assigned");
  EXPECT_EQ(table->Scope("cardiologist"), "all");
  EXPECT_FALSE(table->Allows("share", "download"));
  EXPECT_TRUE(table->Allows("share.download", "download"));
  EXPECT_TRUE(table->AllowsDicom("modality", "MWL-FIND"));
  EXPECT_FALSE(table->AllowsDicom("modality", "C-MOVE"));
  EXPECT_TRUE(table->AllowsDicom("dicom_node", "C-MOVE"));
}

TEST(PermissionTableTest, RulesAndRoles) {
  auto table = PermissionTable::Parse(Table(R"({"method": "GET", "pattern": "/x/{id}", "permission": "read", "audit": "read"},
      {"method": "GET", "pattern": "/me", "permission": "authenticated"},
      {"method": "GET", "pattern": "/healthz", "permission": "public"})"));
  ASSERT_TRUE(table) << table.error().message;
  ASSERT_NE(table->Rule("GET", "/x/{id}"), nullptr);
  EXPECT_EQ(table->Rule("GET", "/x/{id}")->audit, "read");
  EXPECT_EQ(table->Rule("POST", "/x/{id}"), nullptr);
  EXPECT_TRUE(table->Allows("ai", "read"));
  EXPECT_FALSE(table->Allows("sonographer", "read"));
  EXPECT_TRUE(table->Allows("auditor", "authenticated"));
  EXPECT_FALSE(table->Allows("nobody", "authenticated"));
  EXPECT_TRUE(table->Allows("", "public"));
  EXPECT_TRUE(table->HasRole("auditor"));
  EXPECT_EQ(table->Granted("admin"), (std::vector<std::string>{"admin", "read"}));
  EXPECT_TRUE(table->Granted("nobody").empty());
  // DICOM peers: the service's permission, by role.
  EXPECT_TRUE(table->AllowsDicom("admin", "C-STORE"));
  EXPECT_FALSE(table->AllowsDicom("ai", "C-STORE"));
  EXPECT_TRUE(table->AllowsDicom("ai", "C-FIND"));
  EXPECT_TRUE(table->AllowsDicom("auditor", "C-ECHO"));
  EXPECT_FALSE(table->AllowsDicom("admin", "N-ACTION"));
}

TEST(PermissionTableTest, CheckNamesRoutesWithoutARuleAndOpenMismatches) {
  auto table = PermissionTable::Parse(Table(R"({"method": "GET", "pattern": "/x", "permission": "read"},
      {"method": "GET", "pattern": "/healthz", "permission": "public"})"));
  ASSERT_TRUE(table);
  auto problems = table->Check({{"GET", "/x", false}, {"GET", "/healthz", true}, {"POST", "/x", false},
                                {"GET", "/x", true}});
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "POST /x: no rule in the permission table");
  EXPECT_NE(problems[1].find("open"), std::string::npos);
}

TEST(PermissionTableTest, InvalidTablesAreRefusedWithTheReason) {
  auto expect_invalid = [](const std::string& json, const std::string& why) {
    auto table = PermissionTable::Parse(json);
    ASSERT_FALSE(table) << json;
    EXPECT_EQ(table.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(table.error().message.find(why), std::string::npos) << table.error().message;
  };
  expect_invalid("{", "not a JSON object");
  expect_invalid(R"({"permissions": {}, "roles": {}})", "expected objects");
  expect_invalid(Table("", R"("roles": {"admin": []})"), "required role ai is missing");
  expect_invalid(Table("", R"("roles": {"admin": ["fly"]})"), "undeclared permission \"fly\"");
  expect_invalid(Table(R"({"method": "GET", "pattern": "/x", "permission": "fly"})"), "undeclared permission fly");
  expect_invalid(Table(R"({"method": "GET", "pattern": "/x", "permission": "read", "audit": "peek"})"),
                 "unknown audit class peek");
  expect_invalid(Table(R"({"method": "GET", "pattern": "/x", "permission": "read"},
                         {"method": "GET", "pattern": "/x", "permission": "admin"})"),
                 "appears twice");
  expect_invalid(Table(R"({"method": "FETCH", "pattern": "/x", "permission": "read"})"), "unknown method");
  expect_invalid(Table(R"({"method": "GET", "pattern": "x", "permission": "read"})"), "must start with /");
  expect_invalid(R"({"permissions": {"public": ""}, "roles": {}, "routes": []})", "built in");
  expect_invalid(Table("", kRoles, R"("dicom_services": {"C-ECHO": "read"})"), "dicom_services: no rule for C-STORE");
  expect_invalid(Table("", kRoles, R"("dicom_services": {"N-ACTION": "read"})"), "dicom_services: unknown service N-ACTION");
  expect_invalid(Table("", kRoles, R"("dicom_services": {"C-ECHO": "fly"})"), "dicom_services: C-ECHO: undeclared permission");
}

}  // namespace
}  // namespace systole::security
