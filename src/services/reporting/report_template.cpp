#include "services/reporting/report_template.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "services/reporting/derived.h"

namespace systole::services {
namespace {

using nlohmann::json;

std::string Text(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

domain::Code ParseCode(const json& object) {
  auto it = object.find("code");
  if (it == object.end() || !it->is_object()) return {};
  return {Text(*it, "code"), Text(*it, "scheme"), Text(*it, "meaning")};
}

// The file and field named in every error.
struct Context {
  std::string file;
  std::unexpected<systole::Error> Error(const std::string& field, const std::string& why) const {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("template {}: field {}: {}", file, field, why));
  }
};

Status ParseField(const Context& ctx, const json& j, const std::string& section, TemplateField& f) {
  f.id = Text(j, "id");
  if (f.id.empty()) return ctx.Error("(no id)", "in section " + section + " has no \"id\"");
  f.section = section;
  f.label = Text(j, "label");
  f.kind = Text(j, "kind");
  f.unit = Text(j, "unit");
  f.sentence = Text(j, "sentence");
  f.code = ParseCode(j);
  if (f.label.empty()) return ctx.Error(f.id, "has no label");
  if (f.kind != "number" && f.kind != "choice" && f.kind != "text")
    return ctx.Error(f.id, "kind \"" + f.kind + "\" is not number, choice or text");
  if (f.kind == "number") {
    if (f.unit.empty()) return ctx.Error(f.id, "a number needs a UCUM unit");
    if (j.contains("decimals")) {
      if (!j["decimals"].is_number_integer() || j["decimals"].get<int>() < 0 || j["decimals"].get<int>() > 4)
        return ctx.Error(f.id, "decimals must be an integer 0-4");
      f.decimals = j["decimals"].get<int>();
    }
    if (auto normal = j.find("normal"); normal != j.end()) {
      if (!normal->is_object()) return ctx.Error(f.id, "normal must be an object {\"M\"|\"F\"|\"any\": [low, high]}");
      for (const auto& [sex, range] : normal->items()) {
        if (sex != "M" && sex != "F" && sex != "any") return ctx.Error(f.id, "normal range key \"" + sex + "\"");
        if (!range.is_array() || range.size() != 2 || !range[0].is_number() || !range[1].is_number() ||
            range[0].get<double>() > range[1].get<double>())
          return ctx.Error(f.id, "normal range for " + sex + " must be [low, high]");
        f.normal[sex] = {range[0].get<double>(), range[1].get<double>()};
      }
    }
  }
  if (f.kind == "choice") {
    auto choices = j.find("choices");
    if (choices == j.end() || !choices->is_array() || choices->empty())
      return ctx.Error(f.id, "a choice needs a non-empty \"choices\" list");
    for (const auto& c : *choices) {
      ChoiceItem item{Text(c, "value"), Text(c, "meaning"), ParseCode(c), Text(c, "sentence")};
      if (item.value.empty() || item.meaning.empty()) return ctx.Error(f.id, "a choice item needs value and meaning");
      if (f.Choice(item.value)) return ctx.Error(f.id, "choice value \"" + item.value + "\" twice");
      f.choices.push_back(std::move(item));
    }
  }
  return {};
}

Result<ReportTemplate> Parse(const Context& ctx, const json& j) {
  ReportTemplate t;
  t.id = Text(j, "id");
  t.title = Text(j, "title");
  if (t.id.empty() || t.title.empty())
    return Fail(ErrorCode::kInvalidArgument, "template " + ctx.file + ": needs \"id\" and \"title\"");
  if (!j.contains("sections") || !j["sections"].is_array())
    return Fail(ErrorCode::kInvalidArgument, "template " + ctx.file + ": needs a \"sections\" list");
  std::set<std::string> ids;
  for (const auto& s : j["sections"]) {
    TemplateSection section{Text(s, "id"), Text(s, "title"), {}};
    if (section.id.empty() || section.title.empty())
      return Fail(ErrorCode::kInvalidArgument, "template " + ctx.file + ": a section needs id and title");
    if (!s.contains("fields") || !s["fields"].is_array())
      return Fail(ErrorCode::kInvalidArgument, "template " + ctx.file + ": section " + section.id + " has no fields");
    for (const auto& fj : s["fields"]) {
      TemplateField field;
      SYSTOLE_RETURN_IF_ERROR(ParseField(ctx, fj, section.id, field));
      if (!ids.insert(field.id).second) return ctx.Error(field.id, "defined twice");
      section.field_ids.push_back(field.id);
      t.fields.push_back(std::move(field));
    }
    t.sections.push_back(std::move(section));
  }
  // Sentences may only name fields of this template.
  for (const auto& f : t.fields) {
    std::vector<std::string> sentences{f.sentence};
    for (const auto& c : f.choices) sentences.push_back(c.sentence);
    for (const auto& sentence : sentences)
      for (const auto& ref : SentenceFieldIds(sentence))
        if (!ids.contains(ref)) return ctx.Error(f.id, "sentence names unknown field {" + ref + "}");
  }
  if (auto derived = j.find("derived"); derived != j.end()) {
    if (!derived->is_array()) return ctx.Error("(derived)", "\"derived\" must be a list");
    std::set<std::string> derived_fields;
    for (const auto& d : *derived) {
      Derivation derivation{Text(d, "field"), Text(d, "formula"), {}};
      if (!ids.contains(derivation.field)) return ctx.Error(derivation.field, "derived but not defined");
      if (t.Field(derivation.field)->kind != "number") return ctx.Error(derivation.field, "derived but not a number");
      if (!derived_fields.insert(derivation.field).second) return ctx.Error(derivation.field, "derived twice");
      const auto* formula = derived::FindFormula(derivation.formula);
      if (!formula) return ctx.Error(derivation.field, "unknown formula \"" + derivation.formula + "\"");
      if (!d.contains("inputs") || !d["inputs"].is_object()) return ctx.Error(derivation.field, "needs \"inputs\"");
      for (const auto& [param, field] : d["inputs"].items()) {
        const bool known = std::ranges::find(formula->required, param) != formula->required.end() ||
                           std::ranges::find(formula->optional, param) != formula->optional.end();
        if (!known) return ctx.Error(derivation.field, formula->name + " has no input \"" + param + "\"");
        if (!field.is_string() || !ids.contains(field.get<std::string>()))
          return ctx.Error(derivation.field, "input " + param + " names unknown field " + field.dump());
        derivation.inputs[param] = field.get<std::string>();
      }
      for (const auto& param : formula->required)
        if (!derivation.inputs.contains(param)) return ctx.Error(derivation.field, "input \"" + param + "\" missing");
      t.derivations.push_back(std::move(derivation));
    }
  }
  return t;
}

}  // namespace

std::optional<NormalRange> TemplateField::RangeFor(const std::string& sex) const {
  if (auto it = normal.find(sex); it != normal.end()) return it->second;
  if (auto it = normal.find("any"); it != normal.end()) return it->second;
  return std::nullopt;
}

const ChoiceItem* TemplateField::Choice(const std::string& value) const {
  for (const auto& c : choices)
    if (c.value == value) return &c;
  return nullptr;
}

const TemplateField* ReportTemplate::Field(const std::string& field_id) const {
  for (const auto& f : fields)
    if (f.id == field_id) return &f;
  return nullptr;
}

std::vector<std::string> SentenceFieldIds(const std::string& sentence) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = sentence.find('{', pos)) != std::string::npos) {
    auto end = sentence.find('}', pos);
    if (end == std::string::npos) break;
    out.push_back(sentence.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return out;
}

Result<ReportTemplate> LoadTemplate(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Fail(ErrorCode::kNotFound, "template " + file.string() + ": cannot be read");
  Context ctx{file.filename().string()};
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Fail(ErrorCode::kInvalidArgument, "template " + ctx.file + ": not a JSON object");
  return Parse(ctx, j);
}

Result<std::vector<ReportTemplate>> LoadTemplates(const std::filesystem::path& directory) {
  std::vector<ReportTemplate> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto t = LoadTemplate(entry.path());
    if (!t) return std::unexpected(t.error());
    out.push_back(std::move(*t));
  }
  if (ec) return Fail(ErrorCode::kNotFound, "templates directory " + directory.string() + ": " + ec.message());
  std::ranges::sort(out, {}, &ReportTemplate::id);
  for (std::size_t i = 1; i < out.size(); ++i)
    if (out[i].id == out[i - 1].id)
      return Fail(ErrorCode::kInvalidArgument, "template id " + out[i].id + " is used by two files");
  return out;
}

}  // namespace systole::services
