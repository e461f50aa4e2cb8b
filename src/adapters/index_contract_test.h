// The contract every index adapter passes: include this header in an
// adapter's test and instantiate it with a factory that makes an empty index.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, IndexContractTest, ::testing::Values(&MakeSqlite));
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>

#include "adapters/test_records.h"
#include "ports/study_index.h"

namespace systole::adapters::contract {

using domain::Attribute;

struct IndexUnderTest {
  std::shared_ptr<ports::InstanceIndex> writer;
  std::shared_ptr<ports::StudyQuery> query;
};
using IndexFactory = IndexUnderTest (*)();

class IndexContractTest : public ::testing::TestWithParam<IndexFactory> {
 protected:
  void SetUp() override { index_ = GetParam()(); }

  void Add(const domain::InstanceRecord& r) {
    auto result = index_.writer->AddInstance(r, false);
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_EQ(result->outcome, ports::AddOutcome::kAdded);
  }

  std::vector<domain::QueryRow> Find(domain::Level level, std::vector<std::pair<Attribute, std::string>> conditions) {
    domain::Query q;
    q.level = level;
    for (auto& [a, v] : conditions) q.conditions.push_back({a, *domain::ParseMatcher(a, v)});
    auto rows = index_.query->Find(q);
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? *rows : std::vector<domain::QueryRow>{};
  }

  static const std::string& V(const domain::QueryRow& row, Attribute a) { return row[static_cast<std::size_t>(a)]; }

  void AddEchoAndCath() {
    Add(MakeRecord("P1", "1.1", "1.1.1", "1.1.1.1"));
    Add(MakeRecord("P1", "1.1", "1.1.1", "1.1.1.2"));
    Add(MakeRecord("P1", "1.1", "1.1.2", "1.1.2.1", "SR"));
    auto cath = MakeRecord("P2", "2.2", "2.2.1", "2.2.1.1", "XA");
    cath.Set(Attribute::StudyDate, "20230601");
    cath.Set(Attribute::PatientName, "Smith^Anna");
    Add(cath);
  }

  IndexUnderTest index_;
};

TEST_P(IndexContractTest, StudyLevelRowsCarryDerivedValues) {
  AddEchoAndCath();
  auto rows = Find(domain::Level::kStudy, {{Attribute::PatientID, "P1"}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(V(rows[0], Attribute::StudyInstanceUID), "1.1");
  EXPECT_EQ(V(rows[0], Attribute::NumberOfStudyRelatedSeries), "2");
  EXPECT_EQ(V(rows[0], Attribute::NumberOfStudyRelatedInstances), "3");
  auto modalities = V(rows[0], Attribute::ModalitiesInStudy);
  EXPECT_TRUE(modalities == "US\\SR" || modalities == "SR\\US") << modalities;
  EXPECT_EQ(V(rows[0], Attribute::PatientName), "DOE^P1");
  EXPECT_TRUE(V(rows[0], Attribute::SeriesInstanceUID).empty());
}

TEST_P(IndexContractTest, MatchingRules) {
  AddEchoAndCath();
  EXPECT_EQ(Find(domain::Level::kStudy, {}).size(), 2u);
  EXPECT_EQ(Find(domain::Level::kStudy, {{Attribute::PatientName, "smith*"}}).size(), 1u);
  EXPECT_EQ(Find(domain::Level::kStudy, {{Attribute::PatientName, "DOE^P?"}}).size(), 1u);
  EXPECT_EQ(Find(domain::Level::kStudy, {{Attribute::StudyDate, "20240101-"}}).size(), 1u);
  EXPECT_EQ(Find(domain::Level::kStudy, {{Attribute::StudyDate, "20230101-20231231"}}).size(), 1u);
  EXPECT_EQ(Find(domain::Level::kStudy, {{Attribute::StudyInstanceUID, "1.1\\2.2"}}).size(), 2u);
  EXPECT_EQ(Find(domain::Level::kStudy, {{Attribute::ModalitiesInStudy, "XA"}}).size(), 1u);
  EXPECT_EQ(Find(domain::Level::kStudy, {{Attribute::ModalitiesInStudy, "SR\\XA"}}).size(), 2u);
  EXPECT_EQ(Find(domain::Level::kStudy, {{Attribute::AccessionNumber, "acc1"}}).size(), 0u);
  EXPECT_EQ(Find(domain::Level::kSeries, {{Attribute::StudyInstanceUID, "1.1"}}).size(), 2u);
  EXPECT_EQ(Find(domain::Level::kInstance, {{Attribute::SeriesInstanceUID, "1.1.1"}}).size(), 2u);
  auto patients = Find(domain::Level::kPatient, {{Attribute::PatientID, "P1"}});
  ASSERT_EQ(patients.size(), 1u);
  EXPECT_EQ(V(patients[0], Attribute::NumberOfPatientRelatedStudies), "1");
  EXPECT_EQ(V(patients[0], Attribute::NumberOfPatientRelatedInstances), "3");
}

TEST_P(IndexContractTest, RefusesConditionsBelowTheLevel) {
  domain::Query q;
  q.level = domain::Level::kStudy;
  q.conditions.push_back({Attribute::SOPInstanceUID, *domain::ParseMatcher(Attribute::SOPInstanceUID, "1.2")});
  auto rows = index_.query->Find(q);
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(IndexContractTest, PagesResults) {
  AddEchoAndCath();
  domain::Query q;
  q.level = domain::Level::kInstance;
  q.limit = 2;
  auto first = index_.query->Find(q);
  q.offset = 2;
  auto second = index_.query->Find(q);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->size(), 2u);
  EXPECT_EQ(second->size(), 2u);
  std::set<std::string> all;
  for (auto* page : {&*first, &*second})
    for (auto& row : *page) all.insert(V(row, Attribute::SOPInstanceUID));
  EXPECT_EQ(all.size(), 4u);
}

TEST_P(IndexContractTest, DuplicatesAreReportedAndReplaceable) {
  AddEchoAndCath();
  auto again = MakeRecord("P1", "1.1", "1.1.1", "1.1.1.1");
  again.blob.key = "other";
  auto dup = index_.writer->AddInstance(again, false);
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->outcome, ports::AddOutcome::kDuplicate);
  EXPECT_EQ(dup->previous_blob->key, "key-1.1.1.1");
  auto replaced = index_.writer->AddInstance(again, true);
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->outcome, ports::AddOutcome::kReplaced);
  domain::Query q;
  q.level = domain::Level::kInstance;
  q.conditions.push_back({Attribute::SOPInstanceUID, *domain::ParseMatcher(Attribute::SOPInstanceUID, "1.1.1.1")});
  auto located = index_.query->Locate(q);
  ASSERT_TRUE(located);
  ASSERT_EQ(located->size(), 1u);
  EXPECT_EQ((*located)[0].blob.key, "other");
  EXPECT_EQ(Find(domain::Level::kStudy, {{Attribute::PatientID, "P1"}})[0][static_cast<std::size_t>(
                Attribute::NumberOfStudyRelatedInstances)], "3");
}

TEST_P(IndexContractTest, RefusesInconsistentHierarchy) {
  AddEchoAndCath();
  auto other_patient = MakeRecord("P9", "1.1", "1.1.9", "1.1.9.1");
  auto r1 = index_.writer->AddInstance(other_patient, false);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, ErrorCode::kInvalidArgument);
  auto moved_series = MakeRecord("P2", "2.2", "1.1.1", "2.2.1.9");
  auto r2 = index_.writer->AddInstance(moved_series, false);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kInvalidArgument);
  // Nothing of the refused records was written.
  EXPECT_TRUE(Find(domain::Level::kPatient, {{Attribute::PatientID, "P9"}}).empty());
  EXPECT_EQ(Find(domain::Level::kInstance, {}).size(), 4u);
}

TEST_P(IndexContractTest, PatientsWithoutIdAreToldApartByNameAndBirthDate) {
  auto a = MakeRecord("", "5.1", "5.1.1", "5.1.1.1");
  a.Set(Attribute::PatientName, "ANON^A");
  auto b = MakeRecord("", "6.1", "6.1.1", "6.1.1.1");
  b.Set(Attribute::PatientName, "ANON^B");
  Add(a);
  Add(b);
  auto rows = Find(domain::Level::kStudy, {{Attribute::StudyInstanceUID, "6.1"}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(V(rows[0], Attribute::PatientName), "ANON^B");
  EXPECT_EQ(Find(domain::Level::kPatient, {}).size(), 2u);
  // The same anonymous patient again is the same patient.
  auto a2 = MakeRecord("", "7.1", "7.1.1", "7.1.1.1");
  a2.Set(Attribute::PatientName, "ANON^A");
  Add(a2);
  EXPECT_EQ(Find(domain::Level::kPatient, {}).size(), 2u);
}

TEST_P(IndexContractTest, LocatesInstancesAtAnyLevel) {
  AddEchoAndCath();
  domain::Query q;
  q.conditions.push_back({Attribute::StudyInstanceUID, *domain::ParseMatcher(Attribute::StudyInstanceUID, "1.1")});
  auto located = index_.query->Locate(q);
  ASSERT_TRUE(located);
  EXPECT_EQ(located->size(), 3u);
  for (const auto& s : *located) EXPECT_EQ(s.study_instance_uid, "1.1");
  std::size_t count = 0;
  ASSERT_TRUE(index_.writer->ForEachInstance([&](const domain::StoredInstance&) { ++count; }));
  EXPECT_EQ(count, 4u);
}

}  // namespace systole::adapters::contract
