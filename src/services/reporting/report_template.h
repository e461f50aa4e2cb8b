// ReportTemplate: a report template as data (templates/<id>.json), and its
// loader. A template has sections of typed fields (number with UCUM unit,
// decimals and a normal range per sex; choice list, optionally coded; free
// text), narrative sentence rules, and derivations (a named formula from
// derived.h over other fields). Loading validates the whole file: unknown
// kinds, duplicate ids, and field ids in sentences or derivations that the
// template does not define are errors naming the file and the field.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/measurement.h"

namespace systole::services {

struct NormalRange {
  double low = 0;
  double high = 0;
};

struct ChoiceItem {
  std::string value;     // stored value, e.g. "normal"
  std::string meaning;   // display, e.g. "Normal"
  domain::Code code;     // optional
  std::string sentence;  // narrative when chosen; may be empty
};

struct TemplateField {
  std::string id;  // "lv.ef"
  std::string section;
  std::string label;
  std::string kind;  // "number", "choice", "text"
  std::string unit;  // UCUM (numbers)
  int decimals = 1;
  domain::Code code;
  std::map<std::string, NormalRange> normal;  // by sex "M"/"F", or "any"
  std::vector<ChoiceItem> choices;
  std::string sentence;  // "{lv.ef}" placeholders; emitted when the field has a value

  // The normal range for a patient of `sex` ("M", "F", other): the sex's own,
  // else "any"; nullopt when the template gives none.
  std::optional<NormalRange> RangeFor(const std::string& sex) const;
  const ChoiceItem* Choice(const std::string& value) const;
};

struct TemplateSection {
  std::string id;
  std::string title;
  std::vector<std::string> field_ids;  // in order
};

struct Derivation {
  std::string field;                          // the derived field
  std::string formula;                        // a name from derived.h's FormulaNames()
  std::map<std::string, std::string> inputs;  // formula parameter → field id
};

struct ReportTemplate {
  std::string id;
  std::string title;
  std::vector<TemplateSection> sections;
  std::vector<TemplateField> fields;  // in section order
  std::vector<Derivation> derivations;  // in evaluation order

  const TemplateField* Field(const std::string& id) const;
};

// Parses and validates one template file. kInvalidArgument with the file name
// and the offending field on any error; kNotFound when the file is missing.
Result<ReportTemplate> LoadTemplate(const std::filesystem::path& file);

// Every *.json file of `directory`, sorted by id. Fails on the first invalid one.
Result<std::vector<ReportTemplate>> LoadTemplates(const std::filesystem::path& directory);

// The field ids a sentence refers to ("{lv.ef}" → "lv.ef").
std::vector<std::string> SentenceFieldIds(const std::string& sentence);

}  // namespace systole::services
