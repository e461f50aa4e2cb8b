// ConceptMap: templates/concept_map.csv, the one table tying SR concept codes
// (after SNOMED-RT → SNOMED CT mapping) to report field ids, with the unit the
// value is read in. Matched by (scheme, code) and, where the row gives one,
// the finding site — never by meaning text.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/measurement.h"

namespace systole::services {

struct ConceptMapping {
  domain::Code concept_code;
  std::optional<domain::Code> finding_site;  // required site; nullopt = any
  std::string field_id;
  std::string unit;  // canonical unit of the concept (domain::CanonicalQuantity)
};

class ConceptMap {
 public:
  // Parses the CSV (header line, '#' comments). kInvalidArgument names the line.
  static Result<ConceptMap> Load(const std::filesystem::path& file);
  explicit ConceptMap(std::vector<ConceptMapping> rows) : rows_(std::move(rows)) {}

  // The field a measurement fills: a row with its site wins over a row without.
  const ConceptMapping* Find(const domain::Measurement& m) const;
  const std::vector<ConceptMapping>& rows() const { return rows_; }

 private:
  std::vector<ConceptMapping> rows_;
};

}  // namespace systole::services
