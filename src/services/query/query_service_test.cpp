#include "services/query/query_service.h"

#include <gtest/gtest.h>

#include <fstream>

#include "adapters/test_records.h"
#include "adapters/memory/memory_blob_store.h"
#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_reconciliation.h"

namespace systole::services {
namespace {

using domain::Attribute;

class QueryServiceTest : public ::testing::Test {
 protected:
  void AddWithBlob(const std::string& sop) {
    auto staged = blobs_.Stage();
    std::ofstream(*staged) << "content of " << sop;
    auto ref = blobs_.Commit(*staged, sop);
    auto record = adapters::contract::MakeRecord("P1", "1.1", "1.1.1", sop);
    record.blob = *ref;
    ASSERT_TRUE(index_.AddInstance(record, false));
  }
  adapters::MemoryIndex index_;
  adapters::MemoryBlobStore blobs_;
};

TEST_F(QueryServiceTest, CapsResultsAtTheConfiguredMaximum) {
  for (int i = 1; i <= 5; ++i) AddWithBlob("1.1.1." + std::to_string(i));
  QueryService service(index_, blobs_, 3);
  domain::Query q;
  q.level = domain::Level::kInstance;
  EXPECT_EQ(service.Find(q)->size(), 3u);
  q.limit = 2;
  EXPECT_EQ(service.Find(q)->size(), 2u);
}

TEST_F(QueryServiceTest, RetrieveResolvesPathsAndReportsMissingBlobs) {
  AddWithBlob("1.1.1.1");
  AddWithBlob("1.1.1.2");
  QueryService service(index_, blobs_, 0);
  domain::Query q;
  q.conditions.push_back({Attribute::StudyInstanceUID, *domain::ParseMatcher(Attribute::StudyInstanceUID, "1.1")});
  auto set = service.Retrieve(q);
  ASSERT_TRUE(set);
  ASSERT_EQ(set->instances.size(), 2u);
  std::ifstream in(set->instances[0].path);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "content of " + set->instances[0].instance.sop_instance_uid);

  ASSERT_TRUE(blobs_.Remove(set->instances[1].instance.blob.key));
  auto after = service.Retrieve(q);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->instances.size(), 1u);
  ASSERT_EQ(after->missing.size(), 1u);
}

TEST_F(QueryServiceTest, RetrieveCarriesTheCorrectedPatientOnlyForCorrectedStudies) {
  AddWithBlob("1.1.1.1");
  adapters::MemoryReconciliation corrections;
  const domain::Patient header{{"P1", ""}, "Doe^Jane", "19700101", "F"};
  corrections.FileStudy("1.1", header);
  ASSERT_TRUE(corrections.PutReconciliation({"1.1", header, "", "orphan", {}, "", "", "", "", "", ""}));
  QueryService service(index_, blobs_, 0, &corrections);
  domain::Query q;
  q.level = domain::Level::kInstance;
  auto unchanged = service.Retrieve(q);
  ASSERT_TRUE(unchanged);
  ASSERT_EQ(unchanged->instances.size(), 1u);
  EXPECT_FALSE(unchanged->instances[0].corrected_patient);  // the fast path: send the file as stored

  ASSERT_TRUE(corrections.RefileStudy("1.1", {{"P9", "HOSP"}, "Roe^Jane", "19700102", "F"}));
  auto corrected = service.Retrieve(q);
  ASSERT_TRUE(corrected);
  ASSERT_TRUE(corrected->instances[0].corrected_patient);
  EXPECT_EQ(corrected->instances[0].corrected_patient->identity.id, "P9");
  EXPECT_EQ(corrected->instances[0].corrected_patient->name, "Roe^Jane");
}

}  // namespace
}  // namespace systole::services
