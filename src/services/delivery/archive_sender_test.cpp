// The archive destination: the SR and the Encapsulated PDF pass dciodvfy
// (dicom3tools) without errors and land in the index through ingest.
#include "services/delivery/archive_sender.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "adapters/memory/memory_blob_store.h"
#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_measurement_store.h"
#include "dicom/report_objects.h"
#include "services/delivery/delivery_testing.h"

namespace systole::services {
namespace {


std::filesystem::path TempDir() {
  auto dir = std::filesystem::temp_directory_path() / ("systole_archive_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// dciodvfy's "Error" lines (empty when the object is valid).
std::string DciodvfyErrors(const std::filesystem::path& file) {
  std::string errors;
  const std::string out = testing::RunCommand("dciodvfy " + file.string() + " 2>&1");
  std::size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    if (out.compare(start, 5, "Error") == 0) errors += out.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return errors;
}

TEST(ReportObjectsTest, TheSrAndTheEncapsulatedPdfPassDciodvfy) {
  const auto report = testing::SampleTteReport();
  const auto dir = TempDir();
  ASSERT_TRUE(dicom::WriteReportSr(report, dir / "report_sr.dcm"));
  auto pdf = RenderReportPdf(report);
  ASSERT_TRUE(pdf) << pdf.error().message;
  ASSERT_TRUE(dicom::WriteEncapsulatedPdf(report, *pdf, dir / "report_pdf.dcm"));
  EXPECT_EQ(DciodvfyErrors(dir / "report_sr.dcm"), "");
  EXPECT_EQ(DciodvfyErrors(dir / "report_pdf.dcm"), "");
  // The SR as dcmdump sees it: coded LVEF with its UCUM unit, verified by both signatures, predecessor.
  const std::string dump = testing::RunCommand("dcmdump +U8 " + (dir / "report_sr.dcm").string());
  for (const char* expected : {"18043-0", "UCUM", "COMPLETE", "VERIFIED", "Dr Jane Smith", "20261122144000",
                               "PredecessorDocumentsSequence", "Müller^Jürgen^A", report.study_instance_uid.c_str(),
                               "E/e' was 11"})
    EXPECT_NE(dump.find(expected), std::string::npos) << "missing " << expected << "\n" << dump;
}

TEST(ArchiveSenderTest, StoresTheSrAndThePdfInTheStudyOnceAcrossRetries) {
  adapters::MemoryIndex index;
  adapters::MemoryBlobStore blobs;
  FakeClock clock(std::chrono::system_clock::time_point{});
  IngestService ingest(index, blobs, clock, IngestPolicy{DuplicatePolicy::kKeepFirst, 0});
  auto send = ArchiveSender(ingest, {});
  const auto report = testing::SampleTteReport();
  auto outcome = send(report, 1);
  ASSERT_TRUE(outcome.delivered) << outcome.detail;
  auto again = send(report, 1);
  EXPECT_TRUE(again.delivered) << "a retry stores duplicates, which is success: " << again.detail;

  const auto uids = dicom::ReportUids(report);
  std::map<std::string, domain::StoredInstance> stored;
  ASSERT_TRUE(index.ForEachInstance([&](const domain::StoredInstance& i) { stored[i.sop_instance_uid] = i; }));
  ASSERT_EQ(stored.size(), 2u);
  ASSERT_TRUE(stored.count(uids.sr_instance));
  ASSERT_TRUE(stored.count(uids.pdf_instance));
  EXPECT_EQ(stored[uids.sr_instance].sop_class_uid, dicom::kComprehensiveSrClass);
  EXPECT_EQ(stored[uids.pdf_instance].sop_class_uid, dicom::kEncapsulatedPdfClass);
  EXPECT_EQ(stored[uids.sr_instance].study_instance_uid, report.study_instance_uid);
  EXPECT_EQ(stored[uids.pdf_instance].study_instance_uid, report.study_instance_uid);
  EXPECT_NE(stored[uids.sr_instance].series_instance_uid, stored[uids.pdf_instance].series_instance_uid);
}

TEST(ArchiveSenderTest, TheSrValuesReadBackAtIngestAreTheSignersNotADevices) {
  adapters::MemoryIndex index;
  adapters::MemoryBlobStore blobs;
  adapters::MemoryMeasurementStore measurements;
  FakeClock clock(std::chrono::system_clock::time_point{});
  IngestService ingest(index, blobs, clock, IngestPolicy{DuplicatePolicy::kKeepFirst, 0}, &measurements);
  const auto report = testing::SampleTteReport();
  auto outcome = ArchiveSender(ingest, {})(report, 1);
  ASSERT_TRUE(outcome.delivered) << outcome.detail;
  auto read = measurements.StudyMeasurements(report.study_instance_uid);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 4u) << "one per NUM";
  for (const auto& m : *read) {
    EXPECT_EQ(m.source, domain::MeasurementSource::kReader) << m.concept_name.value;
    EXPECT_EQ(m.observer, "Dr Jane Smith");
  }
  EXPECT_EQ(read->front().concept_name.value, "18043-0");
  EXPECT_EQ(read->front().value.value_or(""), "55");
}

TEST(ArchiveSenderTest, AReportWithoutAStudyIsAnErrorNotAStoredObject) {
  adapters::MemoryIndex index;
  adapters::MemoryBlobStore blobs;
  FakeClock clock(std::chrono::system_clock::time_point{});
  IngestService ingest(index, blobs, clock, IngestPolicy{DuplicatePolicy::kKeepFirst, 0});
  auto report = testing::SampleTteReport();
  report.study_instance_uid.clear();
  auto outcome = ArchiveSender(ingest, {})(report, 1);
  EXPECT_FALSE(outcome.delivered);
  EXPECT_NE(outcome.detail.find("no study"), std::string::npos) << outcome.detail;
  std::size_t count = 0;
  ASSERT_TRUE(index.ForEachInstance([&](const domain::StoredInstance&) { ++count; }));
  EXPECT_EQ(count, 0u);
}

}  // namespace
}  // namespace systole::services
