#include "adapters/sqlite/sqlite_index.h"

#include <unistd.h>

#include <atomic>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <thread>

#include "adapters/index_contract_test.h"
#include "adapters/measurement_store_contract_test.h"
#include "adapters/patient_directory_contract_test.h"
#include "adapters/report_store_contract_test.h"

namespace systole::adapters::contract {
namespace {

std::filesystem::path FreshDbPath() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() / fmt::format("systole_sqlite_test_{}", ::getpid());
  std::filesystem::create_directories(dir);
  auto path = dir / fmt::format("index{}.db", counter++);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return path;
}

IndexUnderTest MakeSqlite() {
  auto index = SqliteIndex::Open(FreshDbPath(), 4);
  EXPECT_TRUE(index);
  std::shared_ptr<SqliteIndex> shared(std::move(*index));
  return {shared, shared};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, IndexContractTest, ::testing::Values(&MakeSqlite));

std::shared_ptr<ports::MeasurementStore> MakeSqliteMeasurements() {
  auto index = SqliteIndex::Open(FreshDbPath(), 4);
  EXPECT_TRUE(index);
  return std::shared_ptr<SqliteIndex>(std::move(*index));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MeasurementStoreContractTest, ::testing::Values(&MakeSqliteMeasurements));

PatientsUnderTest MakeSqlitePatients() {
  auto index = SqliteIndex::Open(FreshDbPath(), 4);
  EXPECT_TRUE(index);
  std::shared_ptr<SqliteIndex> shared(std::move(*index));
  return {shared, shared, shared};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, PatientDirectoryContractTest, ::testing::Values(&MakeSqlitePatients));

std::shared_ptr<ports::ReportStore> MakeSqliteReports() {
  auto index = SqliteIndex::Open(FreshDbPath(), 4);
  EXPECT_TRUE(index);
  return std::shared_ptr<SqliteIndex>(std::move(*index));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ReportStoreContractTest, ::testing::Values(&MakeSqliteReports));

TEST(SqliteIndexTest, MeasurementsSurviveReopening) {
  auto path = FreshDbPath();
  {
    auto index = SqliteIndex::Open(path, 2);
    ASSERT_TRUE(index);
    ASSERT_TRUE((*index)->ReplaceMeasurements("1.2.3", {MakeMeasurement("1.2.3", "1.2", 0, "A", "1")}));
  }
  auto index = SqliteIndex::Open(path, 2);
  ASSERT_TRUE(index);
  auto got = (*index)->StudyMeasurements("1.2");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size(), 1u);
}

TEST(SqliteIndexTest, ReportsAndSignedVersionsSurviveReopening) {
  auto path = FreshDbPath();
  {
    auto index = SqliteIndex::Open(path, 2);
    ASSERT_TRUE(index);
    ASSERT_TRUE((*index)->CreateReport(MakeReportRow("r1", "1.2")));
    auto row = *(*index)->GetReport("r1");
    auto v1 = MakeSignedVersion("r1", 1, "2026-11-23T02:00:00Z");
    ASSERT_TRUE((*index)->UpdateReport(row, &v1));
  }
  auto index = SqliteIndex::Open(path, 2);
  ASSERT_TRUE(index);
  EXPECT_EQ((*index)->GetReport("r1")->revision, 2);
  auto versions = (*index)->Versions("r1");
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].document, "{\"v\":1}");
}

TEST(SqliteIndexTest, ReopensAnExistingDatabaseAndKeepsItsData) {
  auto path = FreshDbPath();
  {
    auto index = SqliteIndex::Open(path, 2);
    ASSERT_TRUE(index);
    ASSERT_TRUE((*index)->AddInstance(MakeRecord("P1", "1.1", "1.1.1", "1.1.1.1"), false));
  }
  auto index = SqliteIndex::Open(path, 2);
  ASSERT_TRUE(index);
  domain::Query q;
  q.level = domain::Level::kInstance;
  auto rows = (*index)->Find(q);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 1u);
}

TEST(SqliteIndexTest, ConcurrentWritersAllLand) {
  auto index = SqliteIndex::Open(FreshDbPath(), 6);
  ASSERT_TRUE(index);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = MakeRecord("P1", "1.1", fmt::format("1.1.{}", t), fmt::format("1.1.{}.{}", t, i));
        if (!(*index)->AddInstance(r, false)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  domain::Query q;
  q.level = domain::Level::kStudy;
  auto rows = (*index)->Find(q);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][static_cast<std::size_t>(domain::Attribute::NumberOfStudyRelatedInstances)], "200");
  EXPECT_EQ((*rows)[0][static_cast<std::size_t>(domain::Attribute::NumberOfStudyRelatedSeries)], "4");
}

TEST(SqliteIndexTest, SqlMetaCharactersAreJustValues) {
  auto index = SqliteIndex::Open(FreshDbPath(), 2);
  ASSERT_TRUE(index);
  auto r = MakeRecord("P'1; DROP TABLE studies;--", "1.1", "1.1.1", "1.1.1.1");
  ASSERT_TRUE((*index)->AddInstance(r, false));
  domain::Query q;
  q.level = domain::Level::kStudy;
  q.conditions.push_back({domain::Attribute::PatientID,
                          *domain::ParseMatcher(domain::Attribute::PatientID, "P'1; DROP TABLE studies;--")});
  auto rows = (*index)->Find(q);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 1u);
}

}  // namespace
}  // namespace systole::adapters::contract
