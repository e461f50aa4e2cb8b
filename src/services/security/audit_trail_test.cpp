#include "services/security/audit_trail.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/memory/memory_security_store.h"

namespace systole::security {
namespace {

class AuditTrailTest : public ::testing::Test {
 protected:
  AuditTrailTest() : clock_(std::chrono::system_clock::time_point(std::chrono::milliseconds(1'800'000'000'123))),
                     trail_(store_, clock_, "SYSTOLE") {}
  void RecordThree() {
    ASSERT_TRUE(trail_.Record({.event_class = "query", .user = "alice", .role = "cardiologist", .remote = "10.0.0.7",
                               .action = "GET /dicomweb/studies", .query = "PatientID=P1", .patient = "P1"}));
    ASSERT_TRUE(trail_.Record({.event_class = "read", .user = "alice", .role = "cardiologist", .remote = "10.0.0.7",
                               .action = "GET /dicomweb/studies/1.2/metadata", .study = "1.2"}));
    ASSERT_TRUE(trail_.Record({.event_class = "login", .success = false, .user = "bob", .remote = "10.0.0.8",
                               .action = "POST /api/auth/login"}));
  }
  std::vector<domain::AuditRecord> All() {
    std::vector<domain::AuditRecord> all;
    (void)store_.ForEachRecord([&](const domain::AuditRecord& r) { all.push_back(r); });
    return all;
  }

  adapters::MemorySecurityStore store_;
  FakeClock clock_;
  AuditTrail trail_;
};

// Collects what the trail forwards.
class RecordingSink final : public ports::AuditSink {
 public:
  void Forward(const domain::AuditRecord& record, std::string_view event_id) override {
    forwarded.emplace_back(record, std::string(event_id));
  }
  std::vector<std::pair<domain::AuditRecord, std::string>> forwarded;
};

TEST_F(AuditTrailTest, TheSinkGetsEachStoredRecordOnceWithItsEventId) {
  RecordingSink sink;
  trail_.SetSink(&sink);
  RecordThree();
  EXPECT_FALSE(trail_.Record({.event_class = "no-such-class"}));  // not stored: not forwarded
  auto all = All();
  ASSERT_EQ(sink.forwarded.size(), 3u);
  const char* ids[] = {"110112", "110103", "110114"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sink.forwarded[i].first.seq, all[i].seq);
    EXPECT_EQ(sink.forwarded[i].first.hash, all[i].hash);
    EXPECT_EQ(sink.forwarded[i].first.message, all[i].message);
    EXPECT_EQ(sink.forwarded[i].second, ids[i]);
  }
}

TEST_F(AuditTrailTest, EachRecordIsADicomAuditMessage) {
  RecordThree();
  auto all = All();
  ASSERT_EQ(all.size(), 3u);
  auto read = nlohmann::json::parse(all[1].message);
  EXPECT_EQ(read["EventIdentification"]["EventID"]["csd-code"], "110103");
  EXPECT_EQ(read["EventIdentification"]["EventActionCode"], "R");
  EXPECT_EQ(read["EventIdentification"]["EventOutcomeIndicator"], "0");
  EXPECT_EQ(read["EventIdentification"]["EventDateTime"], "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(read["ActiveParticipant"][0]["UserID"], "alice");
  EXPECT_EQ(read["ActiveParticipant"][0]["NetworkAccessPointID"], "10.0.0.7");
  EXPECT_EQ(read["AuditSourceIdentification"]["AuditSourceID"], "SYSTOLE");
  EXPECT_EQ(read["ParticipantObjectIdentification"][0]["ParticipantObjectID"], "1.2");
  EXPECT_EQ(read["ParticipantObjectIdentification"][0]["ParticipantObjectIDTypeCode"]["csd-code"], "110180");
  EXPECT_EQ(all[1].study, "1.2");
  auto query = nlohmann::json::parse(all[0].message);
  EXPECT_EQ(query["EventIdentification"]["EventID"]["csd-code"], "110112");
  EXPECT_EQ(query["ParticipantObjectIdentification"][0]["ParticipantObjectID"], "P1");
  EXPECT_EQ(all[0].patient, "P1");
  auto login = nlohmann::json::parse(all[2].message);
  EXPECT_EQ(login["EventIdentification"]["EventID"]["csd-code"], "110114");
  EXPECT_EQ(login["EventIdentification"]["EventOutcomeIndicator"], "4");
  EXPECT_EQ(all[2].user, "bob");
  EXPECT_EQ(trail_.Record({.event_class = "peek"}).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(AuditTrailTest, RecordsChainOnePreviousHash) {
  RecordThree();
  auto all = All();
  EXPECT_EQ(all[0].prev_hash, std::string(64, '0'));
  EXPECT_EQ(all[1].prev_hash, all[0].hash);
  EXPECT_EQ(all[2].prev_hash, all[1].hash);
  EXPECT_EQ(all[2].seq, 3);
  auto report = trail_.Verify();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->records, 3u);
  EXPECT_FALSE(report->first_bad_seq);
}

TEST_F(AuditTrailTest, VerifyFindsAModifiedRecord) {
  RecordThree();
  auto changed = All()[1];
  changed.user = "mallory";
  store_.Tamper(2, changed);
  auto report = trail_.Verify();
  ASSERT_TRUE(report);
  ASSERT_TRUE(report->first_bad_seq);
  EXPECT_EQ(*report->first_bad_seq, 2);
  EXPECT_NE(report->problem.find("modified"), std::string::npos);
}

TEST_F(AuditTrailTest, VerifyFindsARecordRehashedAfterChange) {
  // Recomputing the changed record's own hash still breaks the next record's link.
  RecordThree();
  auto changed = All()[1];
  changed.message = "{}";
  changed.hash = "f" + changed.hash.substr(1);
  store_.Tamper(2, changed);
  auto report = trail_.Verify();
  ASSERT_TRUE(report && report->first_bad_seq);
  EXPECT_EQ(*report->first_bad_seq, 2);
}

TEST_F(AuditTrailTest, VerifyFindsADeletedRecord) {
  RecordThree();
  store_.Tamper(2, std::nullopt);
  auto report = trail_.Verify();
  ASSERT_TRUE(report && report->first_bad_seq);
  EXPECT_EQ(*report->first_bad_seq, 2);
  EXPECT_NE(report->problem.find("deleted"), std::string::npos);
}

TEST_F(AuditTrailTest, SearchFiltersByUserPatientStudyAndTime) {
  RecordThree();
  clock_.Advance(std::chrono::hours(1));
  ASSERT_TRUE(trail_.Record({.event_class = "read", .user = "carol", .remote = "::1", .action = "GET x", .study = "1.2"}));
  EXPECT_EQ(trail_.Search({.user = "alice"})->size(), 2u);
  EXPECT_EQ(trail_.Search({.patient = "P1"})->size(), 1u);
  EXPECT_EQ(trail_.Search({.study = "1.2"})->size(), 2u);
  EXPECT_EQ(trail_.Search({.from = 1'800'000'000'124})->size(), 1u);
  EXPECT_EQ(trail_.Search({.to = 1'800'000'000'123})->size(), 3u);
}

}  // namespace
}  // namespace systole::security
