#include "dicom/sr_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>

namespace systole::dicom {
namespace {

using domain::Code;
using domain::Measurement;

std::filesystem::path EchoSr(const char* name) { return std::filesystem::path(SYSTOLE_ECHO_SR_DIR) / name; }

std::filesystem::path SharedSr(const char* name) {
  const char* root = std::getenv("SYSTOLE_TESTDATA");
  return std::filesystem::path(root ? root : "../shared/testdata") / "dicom" / "sr" / name;
}

std::vector<Measurement> Read(const std::filesystem::path& path) {
  auto document = ReadSrFile(path);
  EXPECT_TRUE(document) << path << ": " << (document ? "" : document.error().message);
  return document ? ExtractMeasurements(*document) : std::vector<Measurement>{};
}

std::vector<const Measurement*> Find(const std::vector<Measurement>& all, const Code& concept_name) {
  std::vector<const Measurement*> out;
  for (const auto& m : all)
    if (m.canonical_concept == concept_name) out.push_back(&m);
  return out;
}

std::string CodeOf(const std::optional<Code>& code) { return code ? code->scheme + ":" + code->value : "-"; }

// tools/make_echo_sr.py, echo_tid5200.dcm: 29 NUMs (2 patient characteristics + 27 findings).
class Tid5200Test : public ::testing::Test {
 protected:
  void SetUp() override { all_ = Read(EchoSr("echo_tid5200.dcm")); }
  std::vector<Measurement> all_;
};

TEST_F(Tid5200Test, FindsEveryNumInDocumentOrderWithTheDocumentUids) {
  ASSERT_EQ(all_.size(), 29u);
  for (std::size_t i = 0; i < all_.size(); ++i) {
    EXPECT_EQ(all_[i].ordinal, static_cast<int>(i));
    EXPECT_EQ(all_[i].sr_sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.33");
    EXPECT_FALSE(all_[i].sr_sop_instance_uid.empty());
    EXPECT_FALSE(all_[i].study_instance_uid.empty());
    EXPECT_EQ(all_[i].manufacturer, "ACME Ultrasound");
    EXPECT_EQ(all_[i].source, domain::MeasurementSource::kDevice);
    EXPECT_EQ(all_[i].observer, "CART-7");
  }
}

TEST_F(Tid5200Test, RepeatedValuesAreAllKeptAndTheChosenMeanIsMarked) {
  auto lvidd = Find(all_, {"29436-3", "LN", ""});
  ASSERT_EQ(lvidd.size(), 4u);
  EXPECT_EQ(*lvidd[0]->value, "47");
  EXPECT_EQ(lvidd[0]->unit.value, "mm");
  EXPECT_EQ(*lvidd[0]->canonical_value, "4.7");
  EXPECT_EQ(lvidd[0]->canonical_unit, "cm");
  EXPECT_FALSE(lvidd[0]->selection_status);
  EXPECT_FALSE(lvidd[0]->derivation);
  ASSERT_TRUE(lvidd[0]->image);
  EXPECT_EQ(lvidd[0]->image->frames, "12");
  EXPECT_EQ(lvidd[0]->image->sop_class_uid, "1.2.840.10008.5.1.4.1.1.3.1");
  EXPECT_EQ(CodeOf(lvidd[0]->image_view), "SCT:399139001");
  EXPECT_EQ(*lvidd[3]->value, "4.8");
  EXPECT_EQ(lvidd[3]->unit.value, "cm");
  EXPECT_EQ(CodeOf(lvidd[3]->derivation), "SCT:373098007");
  EXPECT_EQ(CodeOf(lvidd[3]->selection_status), "DCM:121412");
  EXPECT_FALSE(lvidd[3]->image);
}

TEST_F(Tid5200Test, ModifiersAreInheritedFromContainersUnlessTheNumOverrides) {
  auto lvidd = Find(all_, {"29436-3", "LN", ""});
  ASSERT_FALSE(lvidd.empty());
  // Section: Finding Site (T-32600, SRT) -> SCT 87878005; group: 2D mode (SRT) and End Diastole (SRT).
  EXPECT_EQ(CodeOf(lvidd[0]->finding_site), "SCT:87878005");
  EXPECT_EQ(CodeOf(lvidd[0]->image_mode), "SCT:399064001");
  EXPECT_EQ(CodeOf(lvidd[0]->cardiac_phase), "SCT:416190007");
  auto lvids = Find(all_, {"29438-9", "LN", ""});
  ASSERT_EQ(lvids.size(), 1u);
  EXPECT_EQ(CodeOf(lvids[0]->cardiac_phase), "SCT:416430001");  // its own: End Systole
  EXPECT_EQ(CodeOf(lvids[0]->finding_site), "SCT:87878005");
  // The LVOT VTI overrides the Aortic Valve section's site; the peak velocity keeps it.
  auto vti = Find(all_, {"20354-7", "LN", ""});
  ASSERT_EQ(vti.size(), 1u);
  EXPECT_EQ(CodeOf(vti[0]->finding_site), "SCT:13418002");
  EXPECT_EQ(CodeOf(vti[0]->image_mode), "SCT:261199008");
  auto vmax = Find(all_, {"11726-7", "LN", ""});
  ASSERT_EQ(vmax.size(), 1u);
  EXPECT_EQ(CodeOf(vmax[0]->finding_site), "SCT:34202007");
  EXPECT_EQ(CodeOf(vmax[0]->image_mode), "SCT:261198000");  // R-409E3 (SRT) mapped
  EXPECT_EQ(CodeOf(vmax[0]->flow_direction), "SCT:263677008");
  EXPECT_EQ(*vmax[0]->canonical_value, "250");
  EXPECT_EQ(vmax[0]->canonical_unit, "cm/s");
  // Modifiers do not leak into sibling containers.
  auto la = Find(all_, {"29469-4", "LN", ""});
  ASSERT_EQ(la.size(), 1u);
  EXPECT_EQ(CodeOf(la[0]->finding_site), "SCT:82471001");
  EXPECT_EQ(CodeOf(la[0]->image_mode), "SCT:399155008");
  EXPECT_FALSE(la[0]->cardiac_phase);
  // Patient characteristics carry no finding site.
  auto height = Find(all_, {"8302-2", "LN", ""});
  ASSERT_EQ(height.size(), 1u);
  EXPECT_FALSE(height[0]->finding_site);
}

TEST_F(Tid5200Test, SrtAndSctCodesOfOneConceptAreOneConcept) {
  auto e_prime = Find(all_, {"399133000", "SCT", ""});
  ASSERT_EQ(e_prime.size(), 3u);
  EXPECT_EQ(e_prime[0]->concept_name, (Code{"G-037A", "SRT", ""}));  // as written is kept
  EXPECT_EQ(*e_prime[0]->canonical_value, "8");
  EXPECT_EQ(*e_prime[1]->value, "0.09");
  EXPECT_EQ(e_prime[1]->unit.value, "m/s");
  EXPECT_EQ(*e_prime[1]->canonical_value, "9");
  EXPECT_EQ(e_prime[1]->canonical_unit, "cm/s");
  EXPECT_EQ(CodeOf(e_prime[2]->selection_status), "DCM:121412");
  EXPECT_EQ(CodeOf(e_prime[0]->image_mode), "SCT:439858009");
  EXPECT_EQ(Find(all_, {"82799009", "SCT", ""}).size(), 1u);   // Cardiac Output written F-32100 (SRT)
  EXPECT_EQ(Find(all_, {"399027007", "SCT", ""}).size(), 1u);  // LVOT diameter written G-038F (SRT)
}

TEST_F(Tid5200Test, UnitsAreNormalisedAndTheOriginalKept) {
  auto lvedv = Find(all_, {"18026-5", "LN", ""});
  ASSERT_EQ(lvedv.size(), 1u);
  EXPECT_EQ(lvedv[0]->unit.value, "ml");
  EXPECT_EQ(lvedv[0]->canonical_unit, "mL");
  EXPECT_EQ(CodeOf(lvedv[0]->method), "DCM:125207");
  auto e_wave = Find(all_, {"18037-2", "LN", ""});
  ASSERT_EQ(e_wave.size(), 1u);
  EXPECT_EQ(*e_wave[0]->canonical_value, "80");
  EXPECT_EQ(CodeOf(e_wave[0]->finding_site), "SCT:91134007");  // T-35300 (SRT) mapped
  auto ivsd = Find(all_, {"18154-5", "LN", ""});
  ASSERT_EQ(ivsd.size(), 1u);
  EXPECT_EQ(*ivsd[0]->canonical_value, "1");
}

TEST_F(Tid5200Test, NumWithoutValueKeepsItsQualifierAndPrivateCodesAreKept) {
  auto mass = Find(all_, {"18087-7", "LN", ""});
  ASSERT_EQ(mass.size(), 1u);
  EXPECT_FALSE(mass[0]->value);
  EXPECT_FALSE(mass[0]->canonical_value);
  ASSERT_TRUE(mass[0]->qualifier);
  EXPECT_EQ(CodeOf(mass[0]->qualifier), "DCM:114006");
  auto gls = Find(all_, {"ACME-GLS", "99ACME", ""});
  ASSERT_EQ(gls.size(), 1u);
  EXPECT_EQ(gls[0]->concept_name.meaning, "Global longitudinal strain (ACME)");
  EXPECT_EQ(*gls[0]->value, "-18.5");
}

TEST(Tid5300Test, ModifiersOnTheNumItselfAndImageFrames) {
  auto all = Read(EchoSr("echo_tid5300.dcm"));
  ASSERT_EQ(all.size(), 5u);
  auto ef = Find(all, {"18043-0", "LN", ""});
  ASSERT_EQ(ef.size(), 2u);
  EXPECT_FALSE(ef[0]->selection_status);
  EXPECT_EQ(CodeOf(ef[1]->selection_status), "DCM:121410");
  ASSERT_TRUE(ef[1]->image);
  EXPECT_EQ(ef[1]->image->frames, "31");
  auto vmax = Find(all, {"11726-7", "LN", ""});
  ASSERT_EQ(vmax.size(), 1u);
  EXPECT_EQ(CodeOf(vmax[0]->finding_site), "SCT:91134007");
  EXPECT_EQ(CodeOf(vmax[0]->image_mode), "SCT:261199008");
  EXPECT_EQ(CodeOf(vmax[0]->cardiac_phase), "SCT:444392003");  // R-40B1C (SRT) mapped
  EXPECT_EQ(Find(all, {"ACME-LAA", "99ACME", ""}).size(), 1u);
}

// The public SR samples: facts as dsrdump shows them.
TEST(SharedSrTest, ReadsEverySampleAndFindsItsNums) {
  const std::map<std::string, std::size_t> expected_nums = {{"dicomparser__report_dfl_enhanced_sr_deflated.dcm", 1},
                                                            {"dicomscope__reportki.dcm", 0},
                                                            {"highdicom__sr_document.dcm", 1},
                                                            {"orthanc__MarekLatin2.dcm", 0},
                                                            {"orthanc__StructuredReports_IM0.dcm", 0},
                                                            {"pydicom__reportsi.dcm", 0},
                                                            {"pydicom__test-SR.dcm", 2}};
  for (const auto& [name, count] : expected_nums) {
    auto document = ReadSrFile(SharedSr(name.c_str()));
    ASSERT_TRUE(document) << name << ": " << document.error().message;
    EXPECT_TRUE(IsSrStorageClass(document->sop_class_uid)) << name;
    EXPECT_EQ(ExtractMeasurements(*document).size(), count) << name;
  }
}

TEST(SharedSrTest, ValuesAndUnitsOfTheSamples) {
  auto deflated = Read(SharedSr("dicomparser__report_dfl_enhanced_sr_deflated.dcm"));
  ASSERT_EQ(deflated.size(), 1u);
  EXPECT_EQ(deflated[0].concept_name.meaning, "Diameter");
  EXPECT_EQ(*deflated[0].value, "1.5");
  EXPECT_EQ(deflated[0].unit.value, "cm");
  EXPECT_EQ(deflated[0].concept_name.scheme, "99_OFFIS_DCMTK");  // private-coded, kept
  // Its observer is private-coded (not TID 1002), so nothing says who measured: a device.
  EXPECT_EQ(deflated[0].source, domain::MeasurementSource::kDevice);

  auto highdicom = Read(SharedSr("highdicom__sr_document.dcm"));
  ASSERT_EQ(highdicom.size(), 1u);
  EXPECT_EQ(highdicom[0].concept_name.meaning, "Area of defined region");
  EXPECT_EQ(*highdicom[0].value, "1.7");
  EXPECT_EQ(highdicom[0].unit.value, "cm2");
  EXPECT_EQ(highdicom[0].finding_site->value, "T-D00F7");              // from its Measurement Group, unmapped SRT kept
  EXPECT_EQ(highdicom[0].source, domain::MeasurementSource::kDevice);  // Person and Device observers

  auto offis = Read(SharedSr("pydicom__test-SR.dcm"));
  ASSERT_EQ(offis.size(), 2u);
  for (const auto& m : offis) {
    EXPECT_EQ(*m.value, "3");
    EXPECT_EQ(m.unit.value, "cm");
    EXPECT_EQ(m.unit.scheme, "99_OFFIS_DCMTK");
  }
}

SrContentItem Item(const char* relationship, const char* value_type, Code name) {
  SrContentItem item;
  item.relationship = relationship;
  item.value_type = value_type;
  item.concept_name = std::move(name);
  return item;
}

SrContentItem Observer(const char* type_code) {
  auto item = Item("HAS OBS CONTEXT", "CODE", {"121005", "DCM", "Observer Type"});
  item.code = {type_code, "DCM", ""};
  return item;
}

SrContentItem Num(const char* value) {
  auto item = Item("CONTAINS", "NUM", {"29436-3", "LN", "LVIDd"});
  item.numeric = value;
  item.unit = {"mm", "UCUM", "mm"};
  return item;
}

// TID 1002 observers and TID 4019 Algorithm Identification decide the source;
// a container's own observation context replaces the document's.
TEST(SrSourceTest, DeviceReaderOrAiFromTheObservationContext) {
  SrDocument document;
  document.root = Item("", "CONTAINER", {"126000", "DCM", "Imaging Measurement Report"});
  document.root.children.push_back(Observer("121006"));  // Person
  auto name = Item("HAS OBS CONTEXT", "PNAME", {"121008", "DCM", "Person Observer Name"});
  name.text = "Reader^Rosa";
  document.root.children.push_back(name);
  document.root.children.push_back(Num("48"));
  auto group = Item("CONTAINS", "CONTAINER", {"125007", "DCM", "Measurement Group"});
  group.children.push_back(Observer("121007"));  // Device
  auto algorithm = Item("HAS OBS CONTEXT", "TEXT", {"111001", "DCM", "Algorithm Name"});
  algorithm.text = "EF-Net";
  group.children.push_back(algorithm);
  group.children.push_back(Num("50"));
  document.root.children.push_back(group);
  auto cart = Item("CONTAINS", "CONTAINER", {"125007", "DCM", "Measurement Group"});
  cart.children.push_back(Observer("121007"));
  cart.children.push_back(Num("52"));
  document.root.children.push_back(cart);

  auto all = ExtractMeasurements(document);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].source, domain::MeasurementSource::kReader);
  EXPECT_EQ(all[0].observer, "Reader^Rosa");
  EXPECT_EQ(all[1].source, domain::MeasurementSource::kAi);
  EXPECT_EQ(all[1].observer, "EF-Net");
  EXPECT_EQ(all[2].source, domain::MeasurementSource::kDevice);
}

TEST(SrReaderTest, RefusesWhatIsNotAnSrDocument) {
  EXPECT_FALSE(ReadSrFile("/nonexistent.dcm"));
  EXPECT_FALSE(IsSrStorageClass("1.2.840.10008.5.1.4.1.1.3.1"));
  EXPECT_TRUE(IsSrStorageClass("1.2.840.10008.5.1.4.1.1.88.33"));
}

}  // namespace
}  // namespace systole::dicom
