#include "services/measurements/measurement_service.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_blob_store.h"
#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_measurement_store.h"
#include "services/ingest/ingest_service.h"

namespace systole::services {
namespace {

using domain::Code;
using domain::Measurement;

Measurement Raw(const std::string& code, const std::string& value, int ordinal) {
  Measurement m;
  m.sr_sop_instance_uid = "1.2.3";
  m.study_instance_uid = "1.2";
  m.ordinal = ordinal;
  m.concept_name = m.canonical_concept = {code, "LN", code};
  m.value = value;
  return m;
}

TEST(FoldMeasurementsTest, SelectionStatusWinsThenMeanThenLast) {
  auto a = Raw("A", "1", 0), b = Raw("A", "2", 1), mean = Raw("A", "1.5", 2), chosen = Raw("A", "2", 3);
  mean.derivation = Code{"373098007", "SCT", "Mean"};
  chosen.selection_status = Code{"121410", "DCM", "User chosen value"};
  auto folded = FoldMeasurements({a, b, mean, chosen});
  ASSERT_EQ(folded.size(), 1u);
  EXPECT_EQ(folded[0].chosen.ordinal, 3);
  ASSERT_EQ(folded[0].samples.size(), 3u);
  EXPECT_EQ(folded[0].samples[0].ordinal, 0);

  folded = FoldMeasurements({a, mean, b});
  ASSERT_EQ(folded.size(), 1u);
  EXPECT_EQ(*folded[0].chosen.value, "1.5");

  folded = FoldMeasurements({a, b});
  ASSERT_EQ(folded.size(), 1u);
  EXPECT_EQ(*folded[0].chosen.value, "2");
}

TEST(FoldMeasurementsTest, DifferentSitesPhasesOrObjectsStayApart) {
  auto lv = Raw("A", "1", 0), la = Raw("A", "2", 1), systole = Raw("A", "3", 2), other_sr = Raw("A", "4", 3);
  lv.finding_site = Code{"87878005", "SCT", "Left Ventricle"};
  la.finding_site = Code{"82471001", "SCT", "Left Atrium"};
  systole.finding_site = lv.finding_site;
  systole.cardiac_phase = Code{"416430001", "SCT", "End Systole"};
  other_sr.finding_site = lv.finding_site;
  other_sr.sr_sop_instance_uid = "1.2.4";
  auto folded = FoldMeasurements({lv, la, systole, other_sr, Raw("B", "5", 4)});
  EXPECT_EQ(folded.size(), 5u);
}

TEST(MeasurementServiceTest, AStoredEchoSrFoldsIntoOneEntryPerQuantity) {
  adapters::MemoryIndex index;
  adapters::MemoryBlobStore blobs;
  adapters::MemoryMeasurementStore store;
  FakeClock clock{std::chrono::system_clock::time_point{}};
  IngestService ingest(index, blobs, clock, IngestPolicy{}, &store);
  auto out = ingest.IngestFile(std::filesystem::path(SYSTOLE_ECHO_SR_DIR) / "echo_tid5200.dcm", "test");
  ASSERT_TRUE(out.ok()) << (out.error ? out.error->message : "");
  MeasurementService service(store, index);
  auto folded = service.StudyMeasurements(out.study_instance_uid);
  ASSERT_TRUE(folded) << folded.error().message;
  ASSERT_EQ(folded->size(), 24u);  // 29 NUMs: LVIDd 4 -> 1, e' 3 -> 1
  const FoldedMeasurement* lvidd = nullptr;
  const FoldedMeasurement* e_prime = nullptr;
  for (const auto& f : *folded) {
    if (f.chosen.canonical_concept == Code{"29436-3", "LN", ""}) lvidd = &f;
    if (f.chosen.canonical_concept == Code{"399133000", "SCT", ""}) e_prime = &f;
  }
  ASSERT_TRUE(lvidd && e_prime);
  EXPECT_EQ(*lvidd->chosen.value, "4.8");
  EXPECT_EQ(lvidd->samples.size(), 3u);
  EXPECT_EQ(*e_prime->chosen.value, "8.5");
  EXPECT_EQ(e_prime->samples.size(), 2u);

  auto missing = service.StudyMeasurements("1.2.3.4.5");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto bad = service.StudyMeasurements("1.2*");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace systole::services
