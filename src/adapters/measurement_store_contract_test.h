// The contract every MeasurementStore adapter passes: include this header in
// an adapter's test and instantiate it with a factory making an empty store.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, MeasurementStoreContractTest, ::testing::Values(&MakeSqlite));
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "ports/measurement_store.h"

namespace systole::adapters::contract {

using MeasurementStoreFactory = std::shared_ptr<ports::MeasurementStore> (*)();

inline domain::Measurement MakeMeasurement(const std::string& sr, const std::string& study, int ordinal,
                                           const std::string& code, const std::string& value) {
  domain::Measurement m;
  m.sr_sop_instance_uid = sr;
  m.sr_sop_class_uid = "1.2.840.10008.5.1.4.1.1.88.33";
  m.study_instance_uid = study;
  m.series_instance_uid = study + ".9";
  m.ordinal = ordinal;
  m.concept_name = {code, "LN", "Concept " + code};
  m.canonical_concept = m.concept_name;
  m.value = value;
  m.unit = {"mm", "UCUM", "millimeter"};
  m.canonical_value = value + "0";
  m.canonical_unit = "cm";
  return m;
}

class MeasurementStoreContractTest : public ::testing::TestWithParam<MeasurementStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam()(); }

  std::vector<domain::Measurement> Study(const std::string& uid) {
    auto result = store_->StudyMeasurements(uid);
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : std::vector<domain::Measurement>{};
  }

  std::shared_ptr<ports::MeasurementStore> store_;
};

TEST_P(MeasurementStoreContractTest, EmptyStudyHasNoMeasurements) { EXPECT_TRUE(Study("1.2").empty()); }

TEST_P(MeasurementStoreContractTest, RoundTripsEveryField) {
  auto m = MakeMeasurement("1.2.3", "1.2", 0, "29436-3", "48");
  m.concept_name = {"G-037A", "SRT", "e'"};
  m.canonical_concept = {"399133000", "SCT", "e'"};
  m.qualifier = domain::Code{"114010", "DCM", "Value unknown"};
  m.derivation = domain::Code{"373098007", "SCT", "Mean"};
  m.selection_status = domain::Code{"121412", "DCM", "Mean value chosen"};
  m.finding_site = domain::Code{"87878005", "SCT", "Left Ventricle"};
  m.laterality = domain::Code{"7771000", "SCT", "Left"};
  m.image_mode = domain::Code{"399064001", "SCT", "2D mode"};
  m.image_view = domain::Code{"399139001", "SCT", "Parasternal long axis"};
  m.cardiac_phase = domain::Code{"416190007", "SCT", "End Diastole"};
  m.method = domain::Code{"125207", "DCM", "Method of Disks, Biplane"};
  m.flow_direction = domain::Code{"263677008", "SCT", "Antegrade Flow"};
  m.stage = domain::Code{"109070", "DCM", "Peak stress"};
  m.image = domain::ImageReference{"1.2.840.10008.5.1.4.1.1.3.1", "1.2.4", "12\\13"};
  m.source = domain::MeasurementSource::kAi;
  m.observer = "EF-Net 2";
  m.manufacturer = "ACME";
  auto none = MakeMeasurement("1.2.3", "1.2", 1, "18087-7", "");
  none.value.reset();
  none.canonical_value.reset();
  none.unit = {};
  none.canonical_unit.clear();
  none.qualifier = domain::Code{"114006", "DCM", "Measurement failure"};
  ASSERT_TRUE(store_->ReplaceMeasurements("1.2.3", {m, none}));
  auto got = Study("1.2");
  ASSERT_EQ(got.size(), 2u);
  const auto& a = got[0];
  EXPECT_EQ(a.sr_sop_instance_uid, "1.2.3");
  EXPECT_EQ(a.sr_sop_class_uid, m.sr_sop_class_uid);
  EXPECT_EQ(a.series_instance_uid, "1.2.9");
  EXPECT_EQ(a.ordinal, 0);
  EXPECT_EQ(a.concept_name, m.concept_name);
  EXPECT_EQ(a.concept_name.meaning, "e'");
  EXPECT_EQ(a.canonical_concept, m.canonical_concept);
  EXPECT_EQ(a.value, m.value);
  EXPECT_EQ(a.unit, m.unit);
  EXPECT_EQ(a.unit.meaning, "millimeter");
  EXPECT_EQ(a.canonical_value, m.canonical_value);
  EXPECT_EQ(a.canonical_unit, "cm");
  EXPECT_EQ(a.qualifier, m.qualifier);
  EXPECT_EQ(a.derivation, m.derivation);
  EXPECT_EQ(a.selection_status, m.selection_status);
  EXPECT_EQ(a.finding_site, m.finding_site);
  EXPECT_EQ(a.finding_site->meaning, "Left Ventricle");
  EXPECT_EQ(a.laterality, m.laterality);
  EXPECT_EQ(a.image_mode, m.image_mode);
  EXPECT_EQ(a.image_view, m.image_view);
  EXPECT_EQ(a.cardiac_phase, m.cardiac_phase);
  EXPECT_EQ(a.method, m.method);
  EXPECT_EQ(a.flow_direction, m.flow_direction);
  EXPECT_EQ(a.stage, m.stage);
  ASSERT_TRUE(a.image);
  EXPECT_EQ(a.image->sop_class_uid, m.image->sop_class_uid);
  EXPECT_EQ(a.image->sop_instance_uid, "1.2.4");
  EXPECT_EQ(a.image->frames, "12\\13");
  EXPECT_EQ(a.source, domain::MeasurementSource::kAi);
  EXPECT_EQ(a.observer, "EF-Net 2");
  EXPECT_EQ(a.manufacturer, "ACME");
  const auto& b = got[1];
  EXPECT_FALSE(b.value);
  EXPECT_FALSE(b.canonical_value);
  EXPECT_TRUE(b.unit.empty());
  EXPECT_EQ(b.qualifier, none.qualifier);
  EXPECT_FALSE(b.derivation);
  EXPECT_FALSE(b.finding_site);
  EXPECT_FALSE(b.image);
  EXPECT_EQ(b.source, domain::MeasurementSource::kDevice);
}

TEST_P(MeasurementStoreContractTest, ReplacingAnSrReplacesItsMeasurementsOnly) {
  ASSERT_TRUE(store_->ReplaceMeasurements(
      "1.2.3", {MakeMeasurement("1.2.3", "1.2", 0, "A", "1"), MakeMeasurement("1.2.3", "1.2", 1, "B", "2")}));
  ASSERT_TRUE(store_->ReplaceMeasurements("1.2.4", {MakeMeasurement("1.2.4", "1.2", 0, "C", "3")}));
  ASSERT_TRUE(store_->ReplaceMeasurements("7.7.7", {MakeMeasurement("7.7.7", "7.7", 0, "D", "4")}));
  ASSERT_TRUE(store_->ReplaceMeasurements("1.2.3", {MakeMeasurement("1.2.3", "1.2", 0, "A", "9")}));
  auto got = Study("1.2");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].sr_sop_instance_uid, "1.2.4");  // the replaced SR was written last
  EXPECT_EQ(got[1].sr_sop_instance_uid, "1.2.3");
  EXPECT_EQ(*got[1].value, "9");
  ASSERT_TRUE(store_->ReplaceMeasurements("1.2.3", {}));  // deleted
  got = Study("1.2");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].concept_name.value, "C");
  EXPECT_EQ(Study("7.7").size(), 1u);
}

TEST_P(MeasurementStoreContractTest, KeepsDocumentOrder) {
  std::vector<domain::Measurement> many;
  for (int i = 0; i < 30; ++i) many.push_back(MakeMeasurement("1.2.3", "1.2", i, "C" + std::to_string(i), "1"));
  ASSERT_TRUE(store_->ReplaceMeasurements("1.2.3", many));
  auto got = Study("1.2");
  ASSERT_EQ(got.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(got[i].ordinal, i);
}

TEST_P(MeasurementStoreContractTest, RefusesAMeasurementOfAnotherSr) {
  ASSERT_TRUE(store_->ReplaceMeasurements("1.2.3", {MakeMeasurement("1.2.3", "1.2", 0, "A", "1")}));
  auto result = store_->ReplaceMeasurements(
      "1.2.3", {MakeMeasurement("1.2.3", "1.2", 0, "A", "2"), MakeMeasurement("1.2.5", "1.2", 1, "B", "2")});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  auto got = Study("1.2");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(*got[0].value, "1");  // nothing changed
}

}  // namespace systole::adapters::contract
