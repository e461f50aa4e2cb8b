#include "services/reporting/report_template.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "services/reporting/concept_map.h"

namespace systole::services {
namespace {

const std::filesystem::path kTemplates = SYSTOLE_TEMPLATES_DIR;

std::filesystem::path WriteTemplate(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("systole_template_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

TEST(ReportTemplateTest, EveryShippedTemplateLoads) {
  auto templates = LoadTemplates(kTemplates);
  ASSERT_TRUE(templates) << templates.error().message;
  std::set<std::string> ids;
  for (const auto& t : *templates) ids.insert(t.id);
  for (const char* id : {"tte", "tee", "stress_echo", "cath", "vascular", "cmr"})
    EXPECT_TRUE(ids.contains(id)) << "missing template " << id;
  for (const auto& t : *templates) {
    EXPECT_FALSE(t.sections.empty()) << t.id;
    for (const auto& f : t.fields)
      if (f.kind == "number") EXPECT_FALSE(f.unit.empty()) << t.id << " " << f.id;
  }
}

TEST(ReportTemplateTest, TteCarriesTypedFieldsRangesAndDerivations) {
  auto tte = LoadTemplate(kTemplates / "tte.json");
  ASSERT_TRUE(tte) << tte.error().message;
  const auto* ef = tte->Field("lv.ef");
  ASSERT_NE(ef, nullptr);
  EXPECT_EQ(ef->kind, "number");
  EXPECT_EQ(ef->unit, "%");
  EXPECT_EQ(ef->code.value, "18043-0");
  // Lang et al., JASE 2015;28:1-39 (LV size and function by sex): LVEF 52-72 % men, 54-74 % women.
  EXPECT_EQ(ef->RangeFor("M")->low, 52);
  EXPECT_EQ(ef->RangeFor("F")->high, 74);
  EXPECT_FALSE(ef->RangeFor("O"));  // no "any" range: no flag for other sexes
  const auto* ar = tte->Field("av.regurgitation");
  ASSERT_NE(ar, nullptr);
  EXPECT_EQ(ar->kind, "choice");
  ASSERT_NE(ar->Choice("severe"), nullptr);
  EXPECT_EQ(ar->Choice("severe")->sentence, "Severe aortic regurgitation.");
  bool mass = false;
  for (const auto& d : tte->derivations)
    if (d.field == "lv.mass") mass = d.formula == "lv_mass_linear" && d.inputs.at("ivsd") == "lv.ivsd";
  EXPECT_TRUE(mass);
}

TEST(ReportTemplateTest, UnknownFieldInASentenceNamesFileAndField) {
  auto path = WriteTemplate("bad_sentence.json", R"({"id":"x","title":"X","sections":[{"id":"s","title":"S","fields":[
    {"id":"a.b","label":"A","kind":"text","sentence":"See {a.c}."}]}]})");
  auto t = LoadTemplate(path);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(t.error().message.find("bad_sentence.json"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("a.b"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("{a.c}"), std::string::npos) << t.error().message;
}

TEST(ReportTemplateTest, UnknownFieldOrFormulaInADerivationIsAnError) {
  const std::string fields = R"({"id":"x","title":"X","sections":[{"id":"s","title":"S","fields":[
    {"id":"h","label":"H","kind":"number","unit":"cm"},{"id":"w","label":"W","kind":"number","unit":"kg"},
    {"id":"bsa","label":"BSA","kind":"number","unit":"m2"}]}],)";
  auto unknown_input = LoadTemplate(WriteTemplate("bad_input.json", fields + R"("derived":[
    {"field":"bsa","formula":"bsa_mosteller","inputs":{"height":"h","weight":"weight"}}]})"));
  ASSERT_FALSE(unknown_input);
  EXPECT_NE(unknown_input.error().message.find("bad_input.json: field bsa"), std::string::npos)
      << unknown_input.error().message;
  EXPECT_NE(unknown_input.error().message.find("\"weight\""), std::string::npos);
  auto unknown_field = LoadTemplate(WriteTemplate("bad_field.json", fields + R"("derived":[
    {"field":"bmi","formula":"bsa_mosteller","inputs":{"height":"h","weight":"w"}}]})"));
  ASSERT_FALSE(unknown_field);
  EXPECT_NE(unknown_field.error().message.find("field bmi"), std::string::npos);
  auto unknown_formula = LoadTemplate(WriteTemplate("bad_formula.json", fields + R"("derived":[
    {"field":"bsa","formula":"haycock","inputs":{"height":"h","weight":"w"}}]})"));
  ASSERT_FALSE(unknown_formula);
  EXPECT_NE(unknown_formula.error().message.find("haycock"), std::string::npos);
  auto missing_input = LoadTemplate(WriteTemplate("bad_missing.json", fields + R"("derived":[
    {"field":"bsa","formula":"bsa_mosteller","inputs":{"height":"h"}}]})"));
  ASSERT_FALSE(missing_input);
  EXPECT_NE(missing_input.error().message.find("weight"), std::string::npos);
  auto ok = LoadTemplate(WriteTemplate("good.json", fields + R"("derived":[
    {"field":"bsa","formula":"bsa_mosteller","inputs":{"height":"h","weight":"w"}}]})"));
  EXPECT_TRUE(ok) << ok.error().message;
}

TEST(ReportTemplateTest, MalformedFilesAreRefused) {
  EXPECT_EQ(LoadTemplate(WriteTemplate("not_json.json", "{")).error().code, ErrorCode::kInvalidArgument);
  auto kind = LoadTemplate(WriteTemplate("bad_kind.json", R"({"id":"x","title":"X","sections":[{"id":"s","title":"S",
    "fields":[{"id":"a","label":"A","kind":"date"}]}]})"));
  ASSERT_FALSE(kind);
  EXPECT_NE(kind.error().message.find("field a"), std::string::npos);
  auto range = LoadTemplate(WriteTemplate("bad_range.json", R"({"id":"x","title":"X","sections":[{"id":"s","title":"S",
    "fields":[{"id":"a","label":"A","kind":"number","unit":"cm","normal":{"M":[5,1]}}]}]})"));
  ASSERT_FALSE(range);
  EXPECT_NE(range.error().message.find("normal range"), std::string::npos);
  EXPECT_EQ(LoadTemplate("/nonexistent/t.json").error().code, ErrorCode::kNotFound);
}

// LOINC codes end in a mod-10 check digit (LOINC Users' Guide, "Calculating Mod 10 check digits").
int LoincCheckDigit(const std::string& number) {
  std::string odd, even;  // positions counted from the right, starting at 1
  for (std::size_t i = 0; i < number.size(); ++i) {
    const std::size_t position = number.size() - i;
    (position % 2 == 1 ? odd : even) += number[i];
  }
  std::string digits = even + std::to_string(std::stoll(odd) * 2);
  int sum = 0;
  for (char c : digits) sum += c - '0';
  return (10 - sum % 10) % 10;
}

bool ValidLoinc(const std::string& code) {
  auto dash = code.find('-');
  if (dash == std::string::npos || dash + 2 != code.size()) return false;
  return LoincCheckDigit(code.substr(0, dash)) == code.back() - '0';
}

// IVSd: PS3.16 CID 12204 (Echocardiography Interventricular Septum Measurements) lists
// (18154-5, LN, "Interventricular Septum Diastolic Thickness"); 18154-8 (once written by
// tools/make_demo_study.py) is not a LOINC code at all — its check digit is wrong.
TEST(ConceptMapTest, IvsdIsLoinc18154Dash5) {
  EXPECT_TRUE(ValidLoinc("18154-5"));
  EXPECT_FALSE(ValidLoinc("18154-8"));
  EXPECT_TRUE(ValidLoinc("8302-2"));
  auto map = ConceptMap::Load(kTemplates / "concept_map.csv");
  ASSERT_TRUE(map) << map.error().message;
  domain::Measurement ivsd;
  ivsd.canonical_concept = {"18154-5", "LN", ""};
  ASSERT_NE(map->Find(ivsd), nullptr);
  EXPECT_EQ(map->Find(ivsd)->field_id, "lv.ivsd");
}

TEST(ConceptMapTest, EveryRowIsValidAndFillsAShippedField) {
  auto map = ConceptMap::Load(kTemplates / "concept_map.csv");
  ASSERT_TRUE(map) << map.error().message;
  auto templates = LoadTemplates(kTemplates);
  ASSERT_TRUE(templates);
  for (const auto& row : map->rows()) {
    if (row.concept_code.scheme == "LN") EXPECT_TRUE(ValidLoinc(row.concept_code.value)) << row.concept_code.value;
    bool defined = false;
    for (const auto& t : *templates) defined |= t.Field(row.field_id) != nullptr;
    EXPECT_TRUE(defined) << row.field_id << " is in concept_map.csv but in no template";
  }
  for (const auto& t : *templates)
    for (const auto& f : t.fields)
      if (f.code.scheme == "LN") EXPECT_TRUE(ValidLoinc(f.code.value)) << t.id << " " << f.id << " " << f.code.value;
}

TEST(ConceptMapTest, SiteSpecificRowsNeedTheirSite) {
  auto map = ConceptMap::Load(kTemplates / "concept_map.csv");
  ASSERT_TRUE(map);
  domain::Measurement velocity;
  velocity.canonical_concept = {"11726-7", "LN", ""};
  EXPECT_EQ(map->Find(velocity), nullptr);  // a peak velocity of no particular valve fills nothing
  velocity.finding_site = domain::Code{"34202007", "SCT", "Aortic Valve"};
  EXPECT_EQ(map->Find(velocity)->field_id, "av.peak_velocity");
  velocity.finding_site = domain::Code{"91134007", "SCT", "Mitral Valve"};
  EXPECT_EQ(map->Find(velocity)->field_id, "mv.peak_velocity");
}

}  // namespace
}  // namespace systole::services
