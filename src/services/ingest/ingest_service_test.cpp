#include "services/ingest/ingest_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include "adapters/memory/memory_blob_store.h"
#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_measurement_store.h"

namespace systole::services {
namespace {

using Kind = IngestOutcome::Kind;

std::filesystem::path TestData(const char* relative) {
  const char* root = std::getenv("SYSTOLE_TESTDATA");
  return std::filesystem::path(root ? root : "../shared/testdata") / relative;
}

class IngestServiceTest : public ::testing::Test {
 protected:
  IngestService Make(DuplicatePolicy policy = DuplicatePolicy::kKeepFirst) {
    return IngestService(index_, blobs_, clock_, IngestPolicy{policy, 1 << 20}, &measurements_);
  }
  std::vector<domain::Measurement> StudyMeasurements(const std::string& study) {
    auto result = measurements_.StudyMeasurements(study);
    EXPECT_TRUE(result);
    return result ? *result : std::vector<domain::Measurement>{};
  }
  std::size_t InstanceCount() {
    std::size_t n = 0;
    (void)index_.ForEachInstance([&](const domain::StoredInstance&) { ++n; });
    return n;
  }

  adapters::MemoryIndex index_;
  adapters::MemoryBlobStore blobs_;
  adapters::MemoryMeasurementStore measurements_;
  FakeClock clock_{std::chrono::system_clock::time_point{}};
};

TEST_F(IngestServiceTest, StoresAndIndexesAValidFile) {
  auto ingest = Make();
  auto out = ingest.IngestFile(TestData("dicom/cine/dicomparser__IM00001_implicit_le.dcm"), "test");
  ASSERT_EQ(out.kind, Kind::kStored) << (out.error ? out.error->message : "");
  EXPECT_EQ(out.sop_class_uid, "1.2.840.10008.5.1.4.1.1.3.1");
  EXPECT_EQ(InstanceCount(), 1u);
  EXPECT_EQ(blobs_.size(), 1u);
}

TEST_F(IngestServiceTest, TellsTheStoredListenerAboutNewInstancesOnly) {
  auto ingest = Make();
  std::vector<std::string> seen;
  ingest.OnStored([&](const IngestOutcome& out, const std::filesystem::path& path) {
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
    seen.push_back(out.sop_instance_uid);
  });
  ASSERT_TRUE(ingest.IngestFile(TestData("dicom/cine/dicomparser__IM00001_implicit_le.dcm"), "t").ok());
  ASSERT_TRUE(ingest.IngestFile(TestData("dicom/cine/derived__IM00001_rle.dcm"), "t").ok());  // duplicate: kept first
  EXPECT_FALSE(ingest.IngestFile(TestData("dicom/malformed/pydicom__UN_sequence.dcm"), "t").ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "1.3.6.1.4.1.25403.166563008443.732.20120418082458.3");
}

TEST_F(IngestServiceTest, KeepsTheFirstOfTwoDuplicates) {
  auto ingest = Make();
  ASSERT_EQ(ingest.IngestFile(TestData("dicom/cine/dicomparser__IM00001_implicit_le.dcm"), "t").kind, Kind::kStored);
  // Same SOP Instance UID, other transfer syntax: different bytes.
  auto dup = ingest.IngestFile(TestData("dicom/cine/derived__IM00001_rle.dcm"), "t");
  EXPECT_EQ(dup.kind, Kind::kDuplicate);
  ASSERT_FALSE(dup.warnings.empty());
  EXPECT_NE(dup.warnings.back().find("different content"), std::string::npos);
  EXPECT_EQ(InstanceCount(), 1u);
  EXPECT_EQ(blobs_.size(), 1u);
}

TEST_F(IngestServiceTest, RefusePolicyRefusesDuplicates) {
  auto ingest = Make(DuplicatePolicy::kRefuse);
  ASSERT_TRUE(ingest.IngestFile(TestData("dicom/cine/dicomparser__IM00001_implicit_le.dcm"), "t").ok());
  auto dup = ingest.IngestFile(TestData("dicom/cine/dicomparser__IM00001_implicit_le.dcm"), "t");
  EXPECT_EQ(dup.kind, Kind::kRefused);
  EXPECT_EQ(dup.error->code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(blobs_.size(), 1u);
}

TEST_F(IngestServiceTest, ReplacePolicyReplacesTheBlob) {
  auto ingest = Make(DuplicatePolicy::kReplace);
  ASSERT_TRUE(ingest.IngestFile(TestData("dicom/cine/dicomparser__IM00001_implicit_le.dcm"), "t").ok());
  auto again = ingest.IngestFile(TestData("dicom/cine/derived__IM00001_rle.dcm"), "t");
  EXPECT_EQ(again.kind, Kind::kReplaced);
  EXPECT_EQ(blobs_.size(), 1u);
  std::string ts;
  (void)index_.ForEachInstance([&](const domain::StoredInstance& s) { ts = s.transfer_syntax_uid; });
  EXPECT_EQ(ts, "1.2.840.10008.1.2.5");
}

TEST_F(IngestServiceTest, RefusesUnparseableFilesAndLeavesNothing) {
  auto ingest = Make();
  auto out = ingest.IngestFile(TestData("dicom/malformed/pydicom__MR_truncated.dcm"), "t");
  EXPECT_EQ(out.kind, Kind::kRefused);
  EXPECT_EQ(out.error->code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(out.unreadable);
  EXPECT_EQ(InstanceCount(), 0u);
  EXPECT_EQ(blobs_.size(), 0u);
}

TEST_F(IngestServiceTest, AnUnidentifiableFileIsReadableButRefused) {
  auto ingest = Make();
  auto out = ingest.IngestFile(TestData("dicom/malformed/orthanc__Issue111.dcm"), "t");  // no SOPClassUID
  EXPECT_EQ(out.kind, Kind::kRefused);
  EXPECT_FALSE(out.unreadable);
  EXPECT_NE(out.error->message.find("SOPClassUID"), std::string::npos) << out.error->message;
}

TEST_F(IngestServiceTest, AStorageFailureIsAnUnavailableRefusal) {
  auto ingest = Make();
  blobs_.FailCommits(true);
  auto out = ingest.IngestFile(TestData("dicom/mr/pydicom__MR_small.dcm"), "t");
  EXPECT_EQ(out.kind, Kind::kRefused);
  EXPECT_EQ(out.error->code, ErrorCode::kUnavailable);
  EXPECT_EQ(InstanceCount(), 0u);
}

TEST_F(IngestServiceTest, CapacityCheckRefusesWhenNearlyFull) {
  auto ingest = Make();
  EXPECT_TRUE(ingest.CheckCapacity());
  blobs_.SetAvailableBytes(1000);
  auto status = ingest.CheckCapacity();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
}

TEST_F(IngestServiceTest, WrapsBareDatasets) {
  auto ingest = Make();
  auto out = ingest.IngestFile(TestData("dicom/malformed/pydicom__ExplVR_LitEndNoMeta.dcm"), "t");
  ASSERT_EQ(out.kind, Kind::kStored) << (out.error ? out.error->message : "");
  EXPECT_NE(out.warnings.back().find("no meta header"), std::string::npos);
}

}  // namespace
}  // namespace systole::services

namespace systole::services {
namespace {

TEST_F(IngestServiceTest, AnIdenticalDuplicateNeverRemovesTheStoredFile) {
  // The memory store gives every commit a new key; the filesystem store gives
  // identical content the same key. Both must keep the stored instance's blob.
  auto ingest = Make();
  ASSERT_TRUE(ingest.IngestFile(TestData("dicom/mr/pydicom__MR_small.dcm"), "t").ok());
  auto dup = ingest.IngestFile(TestData("dicom/mr/pydicom__MR_small.dcm"), "t");
  EXPECT_EQ(dup.kind, IngestOutcome::Kind::kDuplicate);
  std::string key;
  (void)index_.ForEachInstance([&](const domain::StoredInstance& s) { key = s.blob.key; });
  EXPECT_TRUE(blobs_.ReadPath(key).has_value());
}

std::filesystem::path EchoSr() { return std::filesystem::path(SYSTOLE_ECHO_SR_DIR) / "echo_tid5200.dcm"; }

TEST_F(IngestServiceTest, AStoredSrHasItsMeasurementsRecorded) {
  auto ingest = Make();
  auto out = ingest.IngestFile(EchoSr(), "test");
  ASSERT_EQ(out.kind, Kind::kStored) << (out.error ? out.error->message : "");
  auto measurements = StudyMeasurements(out.study_instance_uid);
  ASSERT_EQ(measurements.size(), 29u);
  EXPECT_EQ(measurements[0].sr_sop_instance_uid, out.sop_instance_uid);
  // A duplicate (kept first) leaves them as they are.
  ASSERT_EQ(ingest.IngestFile(EchoSr(), "test").kind, Kind::kDuplicate);
  EXPECT_EQ(StudyMeasurements(out.study_instance_uid).size(), 29u);
  // Images carry none.
  auto image = ingest.IngestFile(TestData("dicom/cine/dicomparser__IM00001_implicit_le.dcm"), "test");
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(StudyMeasurements(image.study_instance_uid).empty());
}

// The echo SR with its content tree broken (root Value Type removed), written to `out`.
void WriteBrokenSr(const std::filesystem::path& out) {
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(EchoSr().c_str()).good());
  ASSERT_TRUE(file.getDataset()->findAndDeleteElement(DCM_ValueType).good());
  ASSERT_TRUE(file.saveFile(out.c_str(), EXS_LittleEndianExplicit).good());
}

TEST_F(IngestServiceTest, AnSrWhoseContentCannotBeReadIsStoredWithoutMeasurements) {
  auto broken = std::filesystem::temp_directory_path() / ("systole_broken_sr_" + std::to_string(::getpid()) + ".dcm");
  WriteBrokenSr(broken);
  auto ingest = Make();
  auto out = ingest.IngestFile(broken, "test");
  std::filesystem::remove(broken);
  ASSERT_EQ(out.kind, Kind::kStored) << (out.error ? out.error->message : "");
  EXPECT_EQ(InstanceCount(), 1u);
  EXPECT_TRUE(StudyMeasurements(out.study_instance_uid).empty());
}

TEST_F(IngestServiceTest, ReplacingAnSrReplacesItsMeasurements) {
  auto ingest = Make(DuplicatePolicy::kReplace);
  auto first = ingest.IngestFile(EchoSr(), "test");
  ASSERT_EQ(first.kind, Kind::kStored);
  ASSERT_EQ(StudyMeasurements(first.study_instance_uid).size(), 29u);
  auto broken = std::filesystem::temp_directory_path() / ("systole_broken_sr2_" + std::to_string(::getpid()) + ".dcm");
  WriteBrokenSr(broken);
  auto again = ingest.IngestFile(broken, "test");
  std::filesystem::remove(broken);
  ASSERT_EQ(again.kind, Kind::kReplaced);
  EXPECT_TRUE(StudyMeasurements(first.study_instance_uid).empty());
  ASSERT_EQ(ingest.IngestFile(EchoSr(), "test").kind, Kind::kReplaced);
  EXPECT_EQ(StudyMeasurements(first.study_instance_uid).size(), 29u);
}

}  // namespace
}  // namespace systole::services
