#include "services/identity/identity_service.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_index.h"
#include "adapters/test_records.h"

namespace systole::services {
namespace {

using domain::Attribute;

class IdentityServiceTest : public ::testing::Test {
 protected:
  domain::ScheduledStep Step(std::string accession, std::string patient_id, std::string ae, std::string date) {
    domain::ScheduledStep s;
    s.accession_number = std::move(accession);
    s.patient.identity = {std::move(patient_id), "HOSP"};
    s.patient.name = "Doe^Jane";
    s.station_ae_titles = std::move(ae);
    s.modality = "US";
    s.start_date = std::move(date);
    return s;
  }
  std::vector<domain::ScheduledStep> Find(std::vector<std::pair<WorklistKey, std::string>> keys) {
    std::vector<WorklistCondition> conditions;
    for (auto& [k, v] : keys) conditions.push_back(*ParseWorklistCondition(k, v));
    auto found = identity_.FindWorklist(conditions, 0);
    EXPECT_TRUE(found) << found.error().message;
    return found ? *found : std::vector<domain::ScheduledStep>{};
  }

  adapters::MemoryIndex index_;
  FakeClock clock_{std::chrono::system_clock::time_point{}};
  IdentityService identity_{index_, index_, index_, clock_};
};

TEST_F(IdentityServiceTest, OrdersBecomeWorklistItemsWithStandardMatching) {
  ASSERT_TRUE(identity_.ApplyOrder(OrderControl::kNew, {Step("A1", "P1", "ECHO1\\ECHO2", "20240301")}));
  ASSERT_TRUE(identity_.ApplyOrder(OrderControl::kNew, {Step("A2", "P2", "CATH1", "20240305")}));
  EXPECT_EQ(Find({}).size(), 2u);
  EXPECT_EQ(Find({{WorklistKey::kScheduledStationAETitle, "ECHO2"}}).size(), 1u);
  EXPECT_EQ(Find({{WorklistKey::kScheduledProcedureStepStartDate, "20240302-20240310"}}).size(), 1u);
  EXPECT_EQ(Find({{WorklistKey::kPatientName, "doe*"}}).size(), 2u);
  EXPECT_EQ(Find({{WorklistKey::kPatientID, "P?"}, {WorklistKey::kModality, "XA"}}).size(), 0u);
  auto a1 = Find({{WorklistKey::kAccessionNumber, "A1"}});
  ASSERT_EQ(a1.size(), 1u);
  EXPECT_TRUE(a1[0].study_instance_uid.starts_with("2.25."));
  EXPECT_EQ(a1[0].step_id, "A1");

  // Change keeps the generated Study Instance UID; cancel hides the step.
  auto changed = Step("A1", "P1", "ECHO3", "20240302");
  ASSERT_TRUE(identity_.ApplyOrder(OrderControl::kChange, {changed}));
  auto after = Find({{WorklistKey::kAccessionNumber, "A1"}});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].station_ae_titles, "ECHO3");
  EXPECT_EQ(after[0].study_instance_uid, a1[0].study_instance_uid);
  ASSERT_TRUE(identity_.ApplyOrder(OrderControl::kCancel, {Step("A1", "", "", "")}));
  EXPECT_EQ(Find({{WorklistKey::kAccessionNumber, "A1"}}).size(), 0u);
  EXPECT_EQ(Find({{WorklistKey::kAccessionNumber, "A1"}, {WorklistKey::kScheduledProcedureStepStatus, "CANCELED"}}).size(), 1u);
  auto unknown = identity_.ApplyOrder(OrderControl::kCancel, {Step("NOPE", "", "", "")});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(IdentityServiceTest, AdtUpdatesIndexedStudiesAndMergesMoveThem) {
  auto record = adapters::contract::MakeRecord("OLD1", "1.1", "1.1.1", "1.1.1.1");
  ASSERT_TRUE(index_.AddInstance(record, false));
  domain::Patient update{{"OLD1", "HOSP"}, "Renamed^Anna", "19700101", "F"};
  auto created = identity_.RecordPatient(update);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(*created);
  domain::Query q;
  q.level = domain::Level::kStudy;
  auto rows = index_.Find(q);
  ASSERT_TRUE(rows && rows->size() == 1u);
  EXPECT_EQ((*rows)[0][static_cast<std::size_t>(Attribute::PatientName)], "Renamed^Anna");

  auto merged = identity_.MergePatients({{"NEW1", "HOSP"}, "Survivor^Anna", "19700101", "F"}, {"OLD1", "HOSP"}, "MSG1");
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(merged->moved_studies, 1u);
  q.conditions.push_back({Attribute::PatientID, *domain::ParseMatcher(Attribute::PatientID, "NEW1")});
  rows = index_.Find(q);
  ASSERT_TRUE(rows && rows->size() == 1u);
  EXPECT_EQ((*rows)[0][static_cast<std::size_t>(Attribute::PatientName)], "Survivor^Anna");
  auto unknown = identity_.MergePatients({{"NEW1", "HOSP"}, "", "", ""}, {"GHOST", "HOSP"}, "MSG2");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace systole::services
