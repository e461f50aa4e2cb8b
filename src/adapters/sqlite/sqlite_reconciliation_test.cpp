// The reconciliation port on a real SQLite database: header patient kept,
// corrections detected only where the index differs, refiling keeps counts.
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "adapters/sqlite/sqlite_index.h"
#include "adapters/test_records.h"

namespace systole::adapters {
namespace {

using domain::Attribute;

class SqliteReconciliationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / fmt::format("systole_recon_test_{}", ::getpid());
    std::filesystem::create_directories(dir);
    path_ = dir / fmt::format("{}.db", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
    auto index = SqliteIndex::Open(path_, 2);
    ASSERT_TRUE(index) << index.error().message;
    index_ = std::move(*index);
    ASSERT_TRUE(index_->AddInstance(contract::MakeRecord("P1", "1.1", "1.1.1", "1.1.1.1"), false));
    ASSERT_TRUE(index_->AddInstance(contract::MakeRecord("P2", "1.2", "1.2.1", "1.2.1.1"), false));
    header_ = {{"P1", ""}, "DOE^P1", "19600101", ""};
    domain::StudyReconciliation record;
    record.study_instance_uid = "1.1";
    record.header_patient = header_;
    record.state = domain::kReconOrphan;
    record.differences = {{"PatientBirthDate", "19600101", "19600102"}};
    ASSERT_TRUE(index_->PutReconciliation(record));
  }
  void TearDown() override {
    index_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  std::filesystem::path path_;
  std::unique_ptr<SqliteIndex> index_;
  domain::Patient header_;
};

TEST_F(SqliteReconciliationTest, RecordsRoundTripAndKeepTheFirstHeader) {
  auto got = index_->GetReconciliation("1.1");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->header_patient.name, "DOE^P1");
  ASSERT_EQ((*got)->differences.size(), 1u);
  EXPECT_EQ((*got)->differences[0].order, "19600102");
  domain::StudyReconciliation changed = **got;
  changed.header_patient.name = "OTHER";
  changed.state = domain::kReconLinked;
  changed.indication = "Syncope";
  ASSERT_TRUE(index_->PutReconciliation(changed));
  got = index_->GetReconciliation("1.1");
  EXPECT_EQ((*got)->header_patient.name, "DOE^P1");
  EXPECT_EQ((*got)->state, domain::kReconLinked);
  EXPECT_EQ((*got)->indication, "Syncope");
  EXPECT_TRUE(index_->ListReconciliations(domain::kReconOrphan)->empty());
  EXPECT_EQ(index_->ListReconciliations(domain::kReconLinked)->size(), 1u);
  EXPECT_FALSE(index_->GetReconciliation("9.9")->has_value());
}

TEST_F(SqliteReconciliationTest, CorrectionsOnlyWhereTheIndexDiffersFromTheHeader) {
  auto none = index_->CorrectedPatients({"1.1", "1.2", "9.9"});
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());
  // ADT A08 renames the patient: the study's served header must follow.
  ASSERT_TRUE(index_->UpsertPatient({{"P1", ""}, "Renamed^Pat", "", "F"}, false));
  auto corrected = index_->CorrectedPatients({"1.1", "1.2"});
  ASSERT_TRUE(corrected);
  ASSERT_EQ(corrected->size(), 1u);
  EXPECT_EQ(corrected->at("1.1").name, "Renamed^Pat");
  EXPECT_EQ(corrected->at("1.1").sex, "F");
  EXPECT_EQ(corrected->at("1.1").birth_date, "19600101");
}

TEST_F(SqliteReconciliationTest, RefileMovesTheStudyAndKeepsCounts) {
  ASSERT_TRUE(index_->RefileStudy("1.1", {{"P9", "HOSP"}, "New^Patient", "19991231", "M"}));
  auto patient = index_->StudyPatient("1.1");
  ASSERT_TRUE(patient);
  EXPECT_EQ(patient->identity.id, "P9");
  EXPECT_EQ(patient->identity.issuer, "HOSP");
  domain::Query q;
  q.level = domain::Level::kPatient;
  q.conditions.push_back({Attribute::PatientID, *domain::ParseMatcher(Attribute::PatientID, "P1")});
  auto rows = index_->Find(q);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][static_cast<std::size_t>(Attribute::NumberOfPatientRelatedStudies)], "0");
  EXPECT_EQ(index_->RefileStudy("9.9", {{"P9", ""}, "", "", ""}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(index_->RefileStudy("1.1", {{"", ""}, "", "", ""}).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SqliteReconciliationTest, DuplicateCandidatesAndTheActionLog) {
  ASSERT_TRUE(index_->UpsertPatient({{"D1", "HOSP"}, "Twin^Tom", "19440404", "M"}, false));
  ASSERT_TRUE(index_->UpsertPatient({{"D2", "HOSP"}, "TWIN^TOM^", "19440404", "M"}, false));
  ASSERT_TRUE(index_->UpsertPatient({{"D3", "HOSP"}, "Twin^Tom", "19440405", "M"}, false));
  auto groups = index_->DuplicatePatients();
  ASSERT_TRUE(groups) << groups.error().message;
  ASSERT_EQ(groups->size(), 1u);
  ASSERT_EQ((*groups)[0].patients.size(), 2u);
  EXPECT_EQ((*groups)[0].patients[0].identity.id, "D1");
  EXPECT_EQ((*groups)[0].patients[1].identity.id, "D2");

  ASSERT_TRUE(index_->AppendAction({0, "", "alice", "link", "1.1", "{}", "{\"state\":\"linked\"}"}));
  ASSERT_TRUE(index_->AppendAction({0, "", "bob", "dismiss", "1.2", "", "{}"}));
  auto actions = index_->ListActions(10);
  ASSERT_TRUE(actions);
  ASSERT_EQ(actions->size(), 2u);
  EXPECT_EQ((*actions)[0].user, "bob");
  EXPECT_FALSE((*actions)[0].at.empty());
  EXPECT_EQ(index_->ListActions(1)->size(), 1u);
}

}  // namespace
}  // namespace systole::adapters
