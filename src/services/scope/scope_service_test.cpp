// Scope decisions on the in-memory index and grants: who sees which study.
#include "services/scope/scope_service.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_access_grants.h"
#include "adapters/memory/memory_index.h"
#include "adapters/test_records.h"

namespace systole::scope {
namespace {

using domain::Attribute;

constexpr const char* kTable = R"({
  "permissions": {"read": "r"},
  "roles": {"admin": ["read"], "cardiologist": ["read"], "fellow": ["read"], "sonographer": ["read"],
            "technologist": ["read"], "referring": ["read"], "ai": ["read"], "auditor": []},
  "scopes": {"referring": "own_patients", "ai": "assigned", "auditor": "none"},
  "dicom_services": {"C-ECHO": "authenticated", "C-STORE": "read", "C-FIND": "read", "C-GET": "read", "C-MOVE": "read", "MWL-FIND": "read"}, "routes": []
})";

class ScopeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto table = security::PermissionTable::Parse(kTable);
    ASSERT_TRUE(table) << table.error().message;
    table_ = std::make_unique<security::PermissionTable>(std::move(*table));
    Store("P1", "1.2.1", "SMITH^JOHN", "NORTH");
    Store("P2", "1.2.2", "JONES^ANN", "SOUTH");
    Store("P3", "1.2.3", "", "NORTH");
    service_ = std::make_unique<ScopeService>(grants_, index_, *table_, clock_,
                                              ScopeConfig{std::chrono::minutes(60), 10});
  }
  void Store(const std::string& patient, const std::string& study, const std::string& referring,
             const std::string& institution) {
    auto record = adapters::contract::MakeRecord(patient, study, study + ".1", study + ".1.1");
    record.Set(Attribute::ReferringPhysicianName, referring);
    record.Set(Attribute::InstitutionName, institution);
    ASSERT_TRUE(index_.AddInstance(record, false));
  }
  domain::StudyScope Resolve(const std::string& user, const std::string& role) {
    auto scope = service_->Resolve(user, role);
    EXPECT_TRUE(scope) << scope.error().message;
    return scope ? *scope : domain::StudyScope{};
  }

  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000))};
  adapters::MemoryIndex index_;
  adapters::MemoryAccessGrants grants_;
  std::unique_ptr<security::PermissionTable> table_;
  std::unique_ptr<ScopeService> service_;
};

TEST_F(ScopeServiceTest, ClinicalRolesSeeEverything) {
  auto scope = Resolve("dr", "cardiologist");
  EXPECT_TRUE(scope.all);
  EXPECT_TRUE(scope.Allows("1.2.2"));
  EXPECT_FALSE(scope.final_reports_only);
}

TEST_F(ScopeServiceTest, ReferringSeesStudiesWithTheirNameAndLinkedPatientsFinalReportsOnly) {
  ASSERT_TRUE(SetUserProfile(grants_, "smith", "smith^john", {}, {"admin", 0}));  // PN matching ignores case
  auto scope = Resolve("smith", "referring");
  EXPECT_FALSE(scope.all);
  EXPECT_EQ(scope.studies, (std::set<std::string>{"1.2.1"}));
  EXPECT_TRUE(scope.final_reports_only);
  ASSERT_TRUE(service_->Grant(domain::kGrantPatientLink, "smith", "P3", "admin"));
  EXPECT_EQ(Resolve("smith", "referring").studies, (std::set<std::string>{"1.2.1", "1.2.3"}));
  ASSERT_TRUE(service_->Revoke(domain::kGrantPatientLink, "smith", "P3"));
  EXPECT_EQ(service_->Revoke(domain::kGrantPatientLink, "smith", "P3").error().code, ErrorCode::kNotFound);
}

TEST_F(ScopeServiceTest, ReferringWithoutNameOrLinksSeesNothing) {
  auto scope = Resolve("nobody", "referring");
  EXPECT_FALSE(scope.all);
  EXPECT_TRUE(scope.studies.empty());
}

TEST_F(ScopeServiceTest, AiSeesAssignedStudiesOnlyAndStoresOnlyThere) {
  EXPECT_EQ(service_->Grant(domain::kGrantAssignment, "ai1", "9.9.9", "admin").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(service_->Grant(domain::kGrantAssignment, "ai1", "1.2.2", "admin"));
  ASSERT_TRUE(service_->Grant(domain::kGrantAssignment, "ai1", "1.2.2", "admin"));  // idempotent
  auto scope = Resolve("ai1", "ai");
  EXPECT_EQ(scope.studies, (std::set<std::string>{"1.2.2"}));
  EXPECT_TRUE(scope.store_in_scope_only);
  EXPECT_EQ(grants_.ListGrants(domain::kGrantAssignment, "ai1")->size(), 1u);
}

TEST_F(ScopeServiceTest, InstitutionsRestrictAnyRole) {
  ASSERT_TRUE(SetUserProfile(grants_, "north-dr", "", {"NORTH"}, {"admin", 0}));
  auto scope = Resolve("north-dr", "cardiologist");
  EXPECT_FALSE(scope.all);
  EXPECT_EQ(scope.studies, (std::set<std::string>{"1.2.1", "1.2.3"}));
  // A referring physician limited to SOUTH loses their NORTH patient.
  ASSERT_TRUE(SetUserProfile(grants_, "smith", "SMITH^JOHN", {"SOUTH"}, {"admin", 0}));
  EXPECT_TRUE(Resolve("smith", "referring").studies.empty());
}

TEST_F(ScopeServiceTest, BreakGlassNeedsAReasonAddsEmergencyAccessAndExpires) {
  EXPECT_EQ(service_->BreakGlass("smith", "referring", "1.2.2", "", "short").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->BreakGlass("smith", "referring", "", "", "a long enough reason").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->BreakGlass("smith", "referring", "7.7.7", "", "a long enough reason").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(service_->BreakGlass("dr", "cardiologist", "1.2.2", "", "a long enough reason").error().code,
            ErrorCode::kAlreadyExists);
  auto grant = service_->BreakGlass("smith", "referring", "", "P2", "patient unconscious in ED");
  ASSERT_TRUE(grant) << grant.error().message;
  auto scope = Resolve("smith", "referring");
  EXPECT_TRUE(scope.Allows("1.2.2"));
  EXPECT_TRUE(scope.Emergency("1.2.2"));
  EXPECT_FALSE(scope.Allows("1.2.1"));
  ASSERT_EQ(service_->BreakGlassLog()->size(), 1u);
  clock_.Advance(std::chrono::minutes(61));
  EXPECT_FALSE(Resolve("smith", "referring").Allows("1.2.2"));
}

TEST_F(ScopeServiceTest, AuditorSeesNoStudy) { EXPECT_TRUE(Resolve("aud", "auditor").studies.empty()); }

TEST(PermissionScopes, UnknownScopeOrRoleIsRefused) {
  std::string bad = kTable;
  bad.replace(bad.find("\"none\""), 6, "\"everything\"");
  EXPECT_FALSE(security::PermissionTable::Parse(bad));
  std::string unknown = kTable;
  unknown.replace(unknown.find("\"auditor\": \"none\""), 17, "\"ghost\": \"none\"");
  EXPECT_FALSE(security::PermissionTable::Parse(unknown));
}

}  // namespace
}  // namespace systole::scope
