// The contract every ReportStore adapter passes: include this header in an
// adapter's test and instantiate it with a factory making an empty store.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, ReportStoreContractTest, ::testing::Values(&MakeSqlite));
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "ports/report_store.h"

namespace systole::adapters::contract {

using ReportStoreFactory = std::shared_ptr<ports::ReportStore> (*)();

inline ports::ReportRow MakeReportRow(const std::string& id, const std::string& study) {
  return {id, study, "tte", "draft", 0, "{\"body\":\"" + id + "\"}", "2026-11-23T01:00:00Z"};
}

inline ports::SignedVersion MakeSignedVersion(const std::string& id, int version, const std::string& at) {
  ports::SignedVersion v;
  v.report_id = id;
  v.version = version;
  v.status = version == 1 ? "final" : "addendum";
  v.signer = "demo";
  v.signed_at = at;
  v.content_sha256 = std::string(64, static_cast<char>('0' + version));
  v.patient_id = "P-" + id;
  v.patient_issuer = "ISSUER";
  v.study_instance_uid = "1.2." + id;
  v.accession_number = "ACC-" + id;
  v.document = "{\"v\":" + std::to_string(version) + "}";
  return v;
}

class ReportStoreContractTest : public ::testing::TestWithParam<ReportStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam()(); }
  std::shared_ptr<ports::ReportStore> store_;
};

TEST_P(ReportStoreContractTest, CreatesAndReadsBack) {
  ASSERT_TRUE(store_->CreateReport(MakeReportRow("r1", "1.2.3")));
  auto row = store_->GetReport("r1");
  ASSERT_TRUE(row) << row.error().message;
  EXPECT_EQ(row->study_instance_uid, "1.2.3");
  EXPECT_EQ(row->template_id, "tte");
  EXPECT_EQ(row->status, "draft");
  EXPECT_EQ(row->revision, 1);
  EXPECT_EQ(row->body, "{\"body\":\"r1\"}");
  EXPECT_EQ(row->updated_at, "2026-11-23T01:00:00Z");
}

TEST_P(ReportStoreContractTest, UnknownAndDuplicateIds) {
  EXPECT_EQ(store_->GetReport("nope").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->CreateReport(MakeReportRow("r1", "1.2.3")));
  EXPECT_EQ(store_->CreateReport(MakeReportRow("r1", "1.2.4")).error().code, ErrorCode::kAlreadyExists);
  auto update = MakeReportRow("nope", "1.2.3");
  update.revision = 1;
  EXPECT_EQ(store_->UpdateReport(update, nullptr).error().code, ErrorCode::kNotFound);
}

TEST_P(ReportStoreContractTest, ListsAStudysReportsOldestFirst) {
  ASSERT_TRUE(store_->CreateReport(MakeReportRow("a", "1.2.3")));
  ASSERT_TRUE(store_->CreateReport(MakeReportRow("b", "1.2.9")));
  ASSERT_TRUE(store_->CreateReport(MakeReportRow("c", "1.2.3")));
  auto rows = store_->StudyReports("1.2.3");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].id, "a");
  EXPECT_EQ((*rows)[1].id, "c");
  EXPECT_TRUE(store_->StudyReports("9.9")->empty());
}

TEST_P(ReportStoreContractTest, UpdateNeedsTheCurrentRevision) {
  ASSERT_TRUE(store_->CreateReport(MakeReportRow("r1", "1.2.3")));
  auto row = *store_->GetReport("r1");
  row.body = "changed";
  row.status = "preliminary";
  ASSERT_TRUE(store_->UpdateReport(row, nullptr));
  auto stale = row;  // still revision 1
  stale.body = "lost update";
  EXPECT_EQ(store_->UpdateReport(stale, nullptr).error().code, ErrorCode::kAlreadyExists);
  auto now = *store_->GetReport("r1");
  EXPECT_EQ(now.revision, 2);
  EXPECT_EQ(now.body, "changed");
  EXPECT_EQ(now.status, "preliminary");
}

TEST_P(ReportStoreContractTest, SignedVersionsAreWrittenWithTheWorkingCopy) {
  ASSERT_TRUE(store_->CreateReport(MakeReportRow("r1", "1.2.3")));
  auto row = *store_->GetReport("r1");
  row.status = "final";
  auto v1 = MakeSignedVersion("r1", 1, "2026-11-23T01:10:00Z");
  ASSERT_TRUE(store_->UpdateReport(row, &v1));
  row = *store_->GetReport("r1");
  // A second version 1 is refused and the working copy is left alone.
  auto again = row;
  again.body = "must not land";
  EXPECT_EQ(store_->UpdateReport(again, &v1).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->GetReport("r1")->body, row.body);
  row.status = "addendum";
  auto v2 = MakeSignedVersion("r1", 2, "2026-11-23T01:20:00Z");
  ASSERT_TRUE(store_->UpdateReport(row, &v2));
  auto versions = store_->Versions("r1");
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version, 1);
  EXPECT_EQ((*versions)[0].document, "{\"v\":1}");
  EXPECT_EQ((*versions)[0].content_sha256, v1.content_sha256);
  EXPECT_EQ((*versions)[1].version, 2);
  EXPECT_EQ((*versions)[1].status, "addendum");
  EXPECT_EQ((*versions)[1].signer, "demo");
  EXPECT_EQ((*versions)[1].signed_at, "2026-11-23T01:20:00Z");
  EXPECT_TRUE(store_->Versions("nope")->empty());
}

TEST_P(ReportStoreContractTest, LatestSignedFiltersAndOrders) {
  for (const std::string id : {"a", "b"}) {
    ASSERT_TRUE(store_->CreateReport(MakeReportRow(id, "1.2." + id)));
    auto row = *store_->GetReport(id);
    auto v1 = MakeSignedVersion(id, 1, id == "a" ? "2026-11-23T01:00:00Z" : "2026-11-23T01:05:00Z");
    ASSERT_TRUE(store_->UpdateReport(row, &v1));
  }
  ASSERT_TRUE(store_->CreateReport(MakeReportRow("draft-only", "1.2.d")));
  auto row = *store_->GetReport("a");
  auto v2 = MakeSignedVersion("a", 2, "2026-11-23T01:09:00Z");
  ASSERT_TRUE(store_->UpdateReport(row, &v2));

  auto all = store_->LatestSigned({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);  // never the draft
  EXPECT_EQ((*all)[0].report_id, "a");
  EXPECT_EQ((*all)[0].version, 2);
  EXPECT_EQ((*all)[1].report_id, "b");

  ports::ReportFilter filter;
  filter.patient_id = "P-b";
  ASSERT_EQ(store_->LatestSigned(filter)->size(), 1u);
  filter.patient_issuer = "OTHER";
  EXPECT_TRUE(store_->LatestSigned(filter)->empty());
  ports::ReportFilter by_accession;
  by_accession.accession_number = "ACC-a";
  ASSERT_EQ(store_->LatestSigned(by_accession)->size(), 1u);
  ports::ReportFilter by_study;
  by_study.study_instance_uid = "1.2.b";
  by_study.report_id = "b";
  ASSERT_EQ(store_->LatestSigned(by_study)->size(), 1u);
  by_study.report_id = "a";
  EXPECT_TRUE(store_->LatestSigned(by_study)->empty());
}

}  // namespace systole::adapters::contract
