#include "services/reporting/report_service.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_measurement_store.h"
#include "adapters/memory/memory_report_store.h"
#include "adapters/test_records.h"
#include "services/reporting/document_json.h"
#include "services/reporting/signed_report_catalog.h"

namespace systole::services {
namespace {

using domain::Attribute;

const std::filesystem::path kTemplates = SYSTOLE_TEMPLATES_DIR;
constexpr const char* kStudy = "1.2.840.99.1";

domain::Measurement Num(const std::string& sr, int ordinal, const std::string& code, const std::string& scheme,
                        const std::string& value, const std::string& unit, const std::string& canonical_value,
                        const std::string& canonical_unit) {
  domain::Measurement m;
  m.sr_sop_instance_uid = sr;
  m.study_instance_uid = kStudy;
  m.ordinal = ordinal;
  m.concept_name = {code, scheme, ""};
  m.canonical_concept = m.concept_name;
  m.value = value;
  m.unit = {unit, "UCUM", ""};
  m.canonical_value = canonical_value;
  m.canonical_unit = canonical_unit;
  return m;
}

class ReportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto record = adapters::contract::MakeRecord("P1", kStudy, "1.2.840.99.1.2", "1.2.840.99.1.2.3");
    record.Set(Attribute::PatientSex, "F");
    record.Set(Attribute::AccessionNumber, "ACC-7");
    ASSERT_TRUE(index_.AddInstance(record, false));
    domain::ScheduledStep step;
    step.patient.identity = {"P1", ""};
    step.accession_number = "ACC-7";
    step.step_id = "S1";
    step.indication = "Dyspnoea on exertion";
    step.referring_physician = "REF^Rita";
    ASSERT_TRUE(index_.UpsertStep(step));
    auto av = Num("sr.1", 2, "11726-7", "LN", "2.5", "m/s", "250", "cm/s");
    av.finding_site = domain::Code{"34202007", "SCT", "Aortic Valve"};
    auto ef = Num("sr.1", 1, "18043-0", "LN", "50", "%", "50", "%");
    ef.source = domain::MeasurementSource::kReader;
    ASSERT_TRUE(measurements_store_.ReplaceMeasurements(
        "sr.1", {Num("sr.1", 0, "29436-3", "LN", "48", "mm", "4.8", "cm"), ef, av,
                 Num("sr.1", 3, "18154-5", "LN", "10", "mm", "1.0", "cm"),
                 Num("sr.1", 4, "18152-9", "LN", "0.9", "cm", "0.9", "cm")}));
    auto templates = LoadTemplates(kTemplates);
    ASSERT_TRUE(templates) << templates.error().message;
    auto map = ConceptMap::Load(kTemplates / "concept_map.csv");
    ASSERT_TRUE(map) << map.error().message;
    service_ = std::make_unique<ReportService>(
        reports_store_, index_, index_, measurements_, std::move(*templates), std::move(*map),
        [](const std::string&) { return PatientBody{1.68, 70.0, "1.2.840.99.1.2.3"}; }, clock_, ReportingConfig{});
    service_->OnSigned([this](const domain::ReportDocument& d) { signed_.push_back(d); });
  }

  const FieldState& FieldOf(const Report& r, const std::string& id) {
    static const FieldState kEmpty;
    auto it = r.fields.find(id);
    return it == r.fields.end() ? kEmpty : it->second;
  }

  adapters::MemoryIndex index_;
  adapters::MemoryMeasurementStore measurements_store_;
  MeasurementService measurements_{measurements_store_, index_};
  adapters::MemoryReportStore reports_store_;
  FakeClock clock_{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::hours{1}};
  std::unique_ptr<ReportService> service_;
  std::vector<domain::ReportDocument> signed_;
};

TEST_F(ReportServiceTest, ANewReportIsFilledFromMeasurementsAndMetadata) {
  auto report = service_->Create(kStudy, "tte", "demo");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->status, "draft");
  // Measurements, converted to the field's unit, with their source and SR.
  EXPECT_EQ(FieldOf(*report, "lv.lvidd").value, "4.8");
  EXPECT_EQ(FieldOf(*report, "lv.lvidd").source, "device");
  EXPECT_EQ(FieldOf(*report, "lv.lvidd").source_detail, "sr.1");
  EXPECT_EQ(FieldOf(*report, "lv.ef").value, "50");
  EXPECT_EQ(FieldOf(*report, "lv.ef").source, "viewer");  // measured by a reader in Systole's viewer
  EXPECT_EQ(FieldOf(*report, "av.peak_velocity").value, "2.50");  // cm/s → m/s
  // Metadata: age from birth and study date, sex, header height/weight, indication from the order.
  EXPECT_EQ(FieldOf(*report, "patient.age").value, "64");
  EXPECT_EQ(FieldOf(*report, "patient.age").source, "metadata");
  EXPECT_EQ(FieldOf(*report, "patient.sex").value, "F");
  EXPECT_EQ(FieldOf(*report, "patient.height").value, "168");
  EXPECT_EQ(FieldOf(*report, "patient.weight").value, "70.0");
  EXPECT_EQ(FieldOf(*report, "patient.indication").value, "Dyspnoea on exertion");
  EXPECT_EQ(report->context.indication, "Dyspnoea on exertion");
  EXPECT_EQ(report->context.referring_physician, "REF^Rita");
  // Derived: BSA (Mosteller) 1.81, peak gradient 4 × 2.5² = 25, LV mass linear, RWT 2 × 0.9 / 4.8.
  EXPECT_EQ(FieldOf(*report, "patient.bsa").value, "1.81");
  EXPECT_EQ(FieldOf(*report, "patient.bsa").source, "derived");
  EXPECT_EQ(FieldOf(*report, "patient.bsa").source_detail, "Mosteller");
  EXPECT_EQ(FieldOf(*report, "av.peak_gradient").value, "25");
  EXPECT_EQ(FieldOf(*report, "lv.rwt").value, "0.38");
  EXPECT_EQ(FieldOf(*report, "lv.mass").value, "159");  // 0.832 × (6.7³ − 4.8³) + 0.6 = 158.8
  // Flags against the woman's range (LVEF 54-74 %): 50 → L.
  auto preview = service_->Preview(*report);
  bool flagged = false;
  for (const auto& s : preview.sections)
    for (const auto& v : s.values)
      if (v.field_id == "lv.ef") flagged = v.flag == "L" && v.normal_range == "54-74";
  EXPECT_TRUE(flagged);
  EXPECT_NE(preview.findings.find("Left ventricular ejection fraction is 50 %."), std::string::npos) << preview.findings;
  EXPECT_EQ(report->history.size(), 1u);
  EXPECT_EQ(report->history[0].to, "draft");
  EXPECT_EQ(report->history[0].user, "demo");
}

TEST_F(ReportServiceTest, UnknownStudyOrTemplate) {
  EXPECT_EQ(service_->Create("9.9.9", "tte", "demo").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(service_->Create(kStudy, "nope", "demo").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(service_->Get("nope").error().code, ErrorCode::kNotFound);
}

TEST_F(ReportServiceTest, NewerMeasurementsUpdateADraftButNeverATypedValue) {
  auto report = service_->Create(kStudy, "tte", "demo");
  ASSERT_TRUE(report);
  ASSERT_TRUE(service_->SetField(report->id, "lv.ivsd", {std::string("1.2"), false}, "demo"));
  auto cleared = service_->SetField(report->id, "lv.lvpwd", {std::nullopt, false}, "demo");
  ASSERT_TRUE(cleared);
  EXPECT_EQ(FieldOf(*cleared, "lv.lvpwd").value, "");
  EXPECT_EQ(FieldOf(*cleared, "lv.lvpwd").source, "typed");
  EXPECT_EQ(FieldOf(*cleared, "lv.rwt").value, "");  // its input is gone
  // A newer SR: LVIDd 5.0 cm, IVSd 1.4 cm, PWd 1.1 cm.
  ASSERT_TRUE(measurements_store_.ReplaceMeasurements(
      "sr.2", {Num("sr.2", 0, "29436-3", "LN", "5.0", "cm", "5.0", "cm"),
               Num("sr.2", 1, "18154-5", "LN", "14", "mm", "1.4", "cm"),
               Num("sr.2", 2, "18152-9", "LN", "1.1", "cm", "1.1", "cm")}));
  auto refreshed = service_->Get(report->id);
  ASSERT_TRUE(refreshed);
  EXPECT_EQ(FieldOf(*refreshed, "lv.lvidd").value, "5.0");
  EXPECT_EQ(FieldOf(*refreshed, "lv.lvidd").source_detail, "sr.2");
  EXPECT_NE(FieldOf(*refreshed, "lv.lvidd").note.find("was 4.8"), std::string::npos) << FieldOf(*refreshed, "lv.lvidd").note;
  EXPECT_EQ(FieldOf(*refreshed, "lv.ivsd").value, "1.2");  // typed: kept
  EXPECT_EQ(FieldOf(*refreshed, "lv.ivsd").source, "typed");
  EXPECT_NE(FieldOf(*refreshed, "lv.ivsd").note.find("not applied"), std::string::npos);
  EXPECT_EQ(FieldOf(*refreshed, "lv.lvpwd").value, "");  // cleared by the reader: stays cleared
  // Persisted: a second read sees the same, and accepting clears the note.
  auto accepted = service_->SetField(report->id, "lv.lvidd", {std::nullopt, true}, "demo");
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(FieldOf(*accepted, "lv.lvidd").accepted);
  EXPECT_EQ(FieldOf(*accepted, "lv.lvidd").source, "device");
  EXPECT_EQ(FieldOf(*service_->Get(report->id), "lv.lvidd").note, "");
}

TEST_F(ReportServiceTest, BadEditsAreRefused) {
  auto report = service_->Create(kStudy, "tte", "demo");
  ASSERT_TRUE(report);
  EXPECT_EQ(service_->SetField(report->id, "lv.nope", {std::string("1"), false}, "demo").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->SetField(report->id, "lv.ef", {std::string("high"), false}, "demo").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->SetField(report->id, "av.regurgitation", {std::string("huge"), false}, "demo").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->SetStatus(report->id, "signed", "demo").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->AddAddendum(report->id, "too early", "demo").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ReportServiceTest, LifecycleSignsFinalAndAddendaAndKeepsEveryVersion) {
  auto report = service_->Create(kStudy, "tte", "demo");
  ASSERT_TRUE(report);
  ASSERT_TRUE(service_->SetField(report->id, "av.regurgitation", {std::string("mild"), false}, "demo"));
  ASSERT_TRUE(service_->SetText(report->id, std::nullopt, std::string("Mildly reduced LV function."), "demo"));
  clock_.Advance(std::chrono::minutes(5));
  auto prelim = service_->SetStatus(report->id, "preliminary", "demo");
  ASSERT_TRUE(prelim) << prelim.error().message;
  EXPECT_EQ(prelim->status, "preliminary");

  // Only configured signers may finalise.
  auto refused = service_->SetStatus(report->id, "final", "intruder");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("reporting.signers"), std::string::npos);
  EXPECT_EQ(service_->Get(report->id)->status, "preliminary");
  EXPECT_TRUE(signed_.empty());

  clock_.Advance(std::chrono::minutes(5));
  auto final_report = service_->SetStatus(report->id, "final", "demo");
  ASSERT_TRUE(final_report) << final_report.error().message;
  EXPECT_EQ(final_report->status, "final");
  EXPECT_EQ(final_report->version, 1);
  ASSERT_TRUE(final_report->signature);
  EXPECT_EQ(final_report->signature->signer, "demo");
  EXPECT_EQ(final_report->signature->signed_at, "2026-11-23T01:10:00Z");
  EXPECT_EQ(final_report->signature->content_sha256.size(), 64u);
  ASSERT_EQ(signed_.size(), 1u);  // the callback ran after the signature was stored
  EXPECT_EQ(signed_[0].version, 1);
  EXPECT_EQ(signed_[0].institution, "Systole demo hospital");
  EXPECT_EQ(signed_[0].impression, "Mildly reduced LV function.");
  EXPECT_NE(signed_[0].findings.find("Mild aortic regurgitation."), std::string::npos);
  // The recorded hash is the SHA-256 of the canonical content of what was signed.
  EXPECT_EQ(Sha256Hex(CanonicalContent(signed_[0])), final_report->signature->content_sha256);

  // Final is immutable.
  auto edit = service_->SetField(report->id, "lv.ef", {std::string("60"), false}, "demo");
  ASSERT_FALSE(edit);
  EXPECT_EQ(edit.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(edit.error().message.find("use an addendum"), std::string::npos);
  EXPECT_EQ(service_->SetText(report->id, "x", std::nullopt, "demo").error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(service_->SetStatus(report->id, "draft", "demo").error().code, ErrorCode::kAlreadyExists);
  // A newer measurement does not change a final report either.
  ASSERT_TRUE(measurements_store_.ReplaceMeasurements("sr.3", {Num("sr.3", 0, "18043-0", "LN", "65", "%", "65", "%")}));
  EXPECT_EQ(FieldOf(*service_->Get(report->id), "lv.ef").value, "50");

  EXPECT_EQ(service_->AddAddendum(report->id, "Late note", "intruder").error().code, ErrorCode::kPermissionDenied);
  clock_.Advance(std::chrono::minutes(5));
  auto addendum = service_->AddAddendum(report->id, "Compared with the prior study: unchanged.", "demo");
  ASSERT_TRUE(addendum) << addendum.error().message;
  EXPECT_EQ(addendum->status, "addendum");
  EXPECT_EQ(addendum->version, 2);
  ASSERT_EQ(signed_.size(), 2u);

  auto versions = service_->Versions(report->id);
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 2u);
  const auto& v1 = (*versions)[0];
  const auto& v2 = (*versions)[1];
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v1.status, "final");
  EXPECT_TRUE(v1.addenda.empty());  // the original is intact
  EXPECT_EQ(v1.signature.content_sha256, final_report->signature->content_sha256);
  EXPECT_EQ(v2.status, "addendum");
  ASSERT_EQ(v2.addenda.size(), 1u);
  EXPECT_EQ(v2.addenda[0].text, "Compared with the prior study: unchanged.");
  EXPECT_EQ(v2.addenda[0].signature.signed_at, "2026-11-23T01:15:00Z");
  EXPECT_NE(v2.addenda[0].signature.content_sha256, v1.signature.content_sha256);
  EXPECT_EQ(v2.signature.content_sha256, v1.signature.content_sha256);  // the original signature stays
  EXPECT_EQ(Sha256Hex(CanonicalContent(v2)), v2.addenda[0].signature.content_sha256);
  EXPECT_EQ(v1.sections.size(), v2.sections.size());

  // Every transition with user and time.
  auto history = service_->Get(report->id)->history;
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0].to, "draft");
  EXPECT_EQ(history[1].from, "draft");
  EXPECT_EQ(history[1].to, "preliminary");
  EXPECT_EQ(history[1].at, "2026-11-23T01:05:00Z");
  EXPECT_EQ(history[2].to, "final");
  EXPECT_EQ(history[3].from, "final");
  EXPECT_EQ(history[3].to, "addendum");
  for (const auto& t : history) EXPECT_EQ(t.user, "demo");

  // The catalog lists the latest signed version.
  SignedReportCatalog catalog(reports_store_);
  ports::ReportFilter filter;
  filter.accession_number = "ACC-7";
  auto listed = catalog.SignedReports(filter);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].version, 2);
  EXPECT_EQ((*listed)[0].patient.identity.id, "P1");
}

TEST_F(ReportServiceTest, DraftsAreNotInTheCatalog) {
  ASSERT_TRUE(service_->Create(kStudy, "tte", "demo"));
  SignedReportCatalog catalog(reports_store_);
  EXPECT_TRUE(catalog.SignedReports({})->empty());
}

// FIPS 180-2 appendix B.1 test vector, and the canonical content's independence from signatures.
TEST(DocumentJsonTest, CanonicalContentAndSha256) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  domain::ReportDocument d;
  d.report_id = "r1";
  d.status = "final";
  d.sections.push_back({"lv", "Left ventricle", {{"lv.ef", "LVEF", {"18043-0", "LN", "LVEF"}, "number", "55", {}, "%",
                                                  "52-72", "", "device", "1.2.3"}}});
  const std::string unsigned_content = CanonicalContent(d);
  d.signature = {"demo", "demo", "2026-11-23T02:00:00Z", "abc"};
  EXPECT_EQ(CanonicalContent(d), unsigned_content);  // who signed is not part of what was signed
  EXPECT_EQ(unsigned_content.find("\": "), std::string::npos);  // no insignificant whitespace
  d.sections[0].values[0].value = "56";
  EXPECT_NE(CanonicalContent(d), unsigned_content);
  auto round_trip = ParseDocument(DocumentJson(d).dump());
  ASSERT_TRUE(round_trip);
  EXPECT_EQ(DocumentJson(*round_trip), DocumentJson(d));
  EXPECT_EQ(ParseDocument("{\"x\":1}").error().code, ErrorCode::kInternal);
}

TEST(AutoPopulateTest, AgeAndUnits) {
  EXPECT_EQ(AgeInYears("19600101", "20240115"), 64);
  EXPECT_EQ(AgeInYears("19600116", "20240115"), 63);
  EXPECT_FALSE(AgeInYears("1960", "20240115"));
  EXPECT_FALSE(AgeInYears("20250101", "20240115"));
  EXPECT_DOUBLE_EQ(*ConvertUnit(250, "cm/s", "m/s"), 2.5);
  EXPECT_DOUBLE_EQ(*ConvertUnit(1.68, "m", "cm"), 168);
  EXPECT_FALSE(ConvertUnit(1, "cm", "mL"));
  EXPECT_EQ(FormatNumber(1.805, 1), "1.8");
  EXPECT_EQ(FormatNumber(-0.01, 1), "0.0");
}

}  // namespace
}  // namespace systole::services
