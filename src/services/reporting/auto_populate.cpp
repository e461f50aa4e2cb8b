#include "services/reporting/auto_populate.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

#include "services/reporting/derived.h"

namespace systole::services {
namespace {

std::optional<double> ParseNumber(const std::string& text) {
  double value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  while (begin < end && *begin == ' ') ++begin;
  if (begin < end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  while (ptr < end && *ptr == ' ') ++ptr;
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

const char* SourceOf(domain::MeasurementSource source) {
  switch (source) {
    case domain::MeasurementSource::kDevice:
      return domain::kSourceDevice;
    case domain::MeasurementSource::kReader:
      return domain::kSourceViewer;
    case domain::MeasurementSource::kAi:
      return domain::kSourceAi;
  }
  return domain::kSourceDevice;
}

struct Candidate {
  std::string field_id;
  std::string value;
  std::string source;
  std::string detail;
};

// Applies one candidate value under the rules above; true if the field changed.
bool Offer(const Candidate& c, bool refresh, Report& report) {
  auto it = report.fields.find(c.field_id);
  if (it == report.fields.end()) {
    report.fields[c.field_id] = {c.value, c.source, c.detail, "", false};
    return true;
  }
  FieldState& f = it->second;
  if (f.source == domain::kSourceTyped) {
    if (!refresh || f.value == c.value) return false;
    std::string note = fmt::format("a newer value {} ({} {}) was not applied: the reader's value is kept", c.value,
                                   c.source, c.detail);
    if (f.note == note) return false;
    f.note = std::move(note);
    return true;
  }
  if (f.value == c.value && f.source == c.source && f.source_detail == c.detail) return false;
  if (refresh && f.value != c.value)
    f.note = fmt::format("updated from a newer measurement ({} {}); was {}", c.source, c.detail,
                         f.value.empty() ? "empty" : f.value);
  f.value = c.value;
  f.source = c.source;
  f.source_detail = c.detail;
  f.accepted = false;
  return true;
}

std::vector<Candidate> MetadataCandidates(const ReportTemplate& tmpl, const StudyFacts& facts) {
  std::vector<Candidate> out;
  auto add_number = [&](const char* id, double value, const std::string& unit, const std::string& detail) {
    const auto* field = tmpl.Field(id);
    if (!field || field->kind != "number") return;
    auto converted = ConvertUnit(value, unit, field->unit);
    if (converted) out.push_back({id, FormatNumber(*converted, field->decimals), domain::kSourceMetadata, detail});
  };
  const auto& ctx = facts.context;
  if (auto age = AgeInYears(ctx.patient.birth_date, ctx.study_date))
    add_number("patient.age", *age, "a", "PatientBirthDate, StudyDate");
  if (const auto* sex = tmpl.Field("patient.sex"); sex && sex->Choice(ctx.patient.sex))
    out.push_back({"patient.sex", ctx.patient.sex, domain::kSourceMetadata, "PatientSex"});
  if (facts.body.height_m)
    add_number("patient.height", *facts.body.height_m, "m", "PatientSize of " + facts.body.sop_instance_uid);
  if (facts.body.weight_kg)
    add_number("patient.weight", *facts.body.weight_kg, "kg", "PatientWeight of " + facts.body.sop_instance_uid);
  if (tmpl.Field("patient.indication") && !ctx.indication.empty())
    out.push_back({"patient.indication", ctx.indication, domain::kSourceMetadata, "order " + ctx.accession_number});
  return out;
}

std::vector<Candidate> MeasurementCandidates(const ReportTemplate& tmpl, const ConceptMap& map,
                                             const StudyFacts& facts) {
  std::vector<Candidate> out;
  for (const auto& folded : facts.measurements) {
    const domain::Measurement& m = folded.chosen;
    if (!m.value) continue;  // a NUM with only a qualifier fills nothing
    const auto* row = map.Find(m);
    if (!row) continue;
    const auto* field = tmpl.Field(row->field_id);
    if (!field || field->kind != "number") continue;
    std::optional<double> value;
    if (m.canonical_value) {
      if (auto v = ParseNumber(*m.canonical_value)) value = ConvertUnit(*v, m.canonical_unit, field->unit);
    }
    if (!value) {
      if (auto v = ParseNumber(*m.value)) value = ConvertUnit(*v, m.unit.value, field->unit);
    }
    if (!value) continue;
    out.push_back({field->id, FormatNumber(*value, field->decimals), SourceOf(m.source), m.sr_sop_instance_uid});
  }
  return out;
}

}  // namespace

std::optional<int> AgeInYears(const std::string& birth_date, const std::string& on_date) {
  auto parse = [](const std::string& da) -> std::optional<std::array<int, 3>> {
    if (da.size() != 8) return std::nullopt;
    for (char c : da)
      if (c < '0' || c > '9') return std::nullopt;
    return std::array<int, 3>{std::stoi(da.substr(0, 4)), std::stoi(da.substr(4, 2)), std::stoi(da.substr(6, 2))};
  };
  auto birth = parse(birth_date);
  auto on = parse(on_date);
  if (!birth || !on || *on < *birth) return std::nullopt;
  int years = (*on)[0] - (*birth)[0];
  if ((*on)[1] < (*birth)[1] || ((*on)[1] == (*birth)[1] && (*on)[2] < (*birth)[2])) --years;
  return years;
}

std::optional<double> ConvertUnit(double value, const std::string& from, const std::string& to) {
  if (from == to) return value;
  struct Factor {
    const char* from;
    const char* to;
    double factor;
  };
  static constexpr std::array<Factor, 13> kFactors{{
      {"mm", "cm", 0.1},     {"cm", "mm", 10},       {"m", "cm", 100},        {"cm", "m", 0.01},
      {"cm/s", "m/s", 0.01}, {"m/s", "cm/s", 100},   {"mm/s", "cm/s", 0.1},   {"ml", "mL", 1},
      {"mL", "ml", 1},       {"g", "kg", 0.001},     {"{beats}/min", "/min", 1}, {"s", "ms", 1000},
      {"{H.B.}/min", "/min", 1},
  }};
  for (const auto& f : kFactors)
    if (from == f.from && to == f.to) return value * f.factor;
  return std::nullopt;
}

std::string FormatNumber(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", value, decimals);
  if (text.starts_with("-") && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);  // "-0.0"
  return text;
}

bool Populate(const ReportTemplate& tmpl, const ConceptMap& map, const StudyFacts& facts, bool refresh,
              Report& report) {
  // Later measurements of one field win: only the last candidate per field is offered.
  std::vector<Candidate> candidates = MetadataCandidates(tmpl, facts);
  auto measured = MeasurementCandidates(tmpl, map, facts);
  candidates.insert(candidates.end(), measured.begin(), measured.end());
  std::map<std::string, Candidate> last;
  for (auto& c : candidates) last[c.field_id] = std::move(c);
  bool changed = false;
  for (const auto& [id, c] : last) changed |= Offer(c, refresh, report);
  return changed;
}

bool ApplyDerivations(const ReportTemplate& tmpl, Report& report) {
  bool changed = false;
  for (const auto& d : tmpl.derivations) {
    const auto* formula = derived::FindFormula(d.formula);
    const auto* field = tmpl.Field(d.field);
    std::map<std::string, double> inputs;
    for (const auto& [param, input_id] : d.inputs) {
      auto it = report.fields.find(input_id);
      if (it == report.fields.end()) continue;
      if (auto v = ParseNumber(it->second.value)) inputs[param] = *v;
    }
    bool complete = true;
    for (const auto& param : formula->required) complete &= inputs.contains(param);
    std::optional<double> value = complete ? formula->evaluate(inputs) : std::nullopt;
    auto it = report.fields.find(d.field);
    if (it != report.fields.end() && it->second.source != domain::kSourceDerived) {
      // A measured or typed value stands; the formula only fills a gap.
      if (!it->second.value.empty() || it->second.source == domain::kSourceTyped) continue;
    }
    if (!value) {
      if (it != report.fields.end() && it->second.source == domain::kSourceDerived && !it->second.value.empty()) {
        it->second.value.clear();
        changed = true;
      }
      continue;
    }
    std::string text = FormatNumber(*value, field->decimals);
    FieldState next{text, domain::kSourceDerived, formula->title, "", false};
    if (it != report.fields.end()) {
      if (it->second.value == text && it->second.source == domain::kSourceDerived) continue;
      next.note = it->second.note;
    }
    report.fields[d.field] = next;
    changed = true;
  }
  return changed;
}

std::string Flag(const TemplateField& field, const std::string& value, const std::string& sex) {
  if (field.kind != "number") return "";
  auto range = field.RangeFor(sex);
  auto v = ParseNumber(value);
  if (!range || !v) return "";
  if (*v < range->low) return "L";
  if (*v > range->high) return "H";
  return "";
}

std::string Narrative(const ReportTemplate& tmpl, const Report& report) {
  auto value_of = [&](const std::string& id) -> std::string {
    auto it = report.fields.find(id);
    if (it == report.fields.end()) return "";
    const auto* field = tmpl.Field(id);
    if (field && field->kind == "choice")
      if (const auto* c = field->Choice(it->second.value)) return c->meaning;
    return it->second.value;
  };
  std::string out;
  for (const auto& section : tmpl.sections) {
    std::string paragraph;
    for (const auto& id : section.field_ids) {
      const auto* field = tmpl.Field(id);
      if (value_of(id).empty()) continue;
      std::string sentence = field->sentence;
      if (field->kind == "choice")
        if (const auto* c = field->Choice(report.fields.at(id).value); c && !c->sentence.empty()) sentence = c->sentence;
      if (sentence.empty()) continue;
      bool complete = true;
      for (const auto& ref : SentenceFieldIds(sentence)) {
        std::string v = value_of(ref);
        if (v.empty()) complete = false;
        std::string placeholder = "{" + ref + "}";
        for (auto pos = sentence.find(placeholder); pos != std::string::npos; pos = sentence.find(placeholder, pos))
          sentence.replace(pos, placeholder.size(), v);
      }
      if (!complete) continue;
      if (!paragraph.empty()) paragraph += ' ';
      paragraph += sentence;
    }
    if (paragraph.empty()) continue;
    if (!out.empty()) out += '\n';
    out += paragraph;
  }
  return out;
}

}  // namespace systole::services
