#include "services/reporting/concept_map.h"

#include <fstream>
#include <sstream>

namespace systole::services {
namespace {

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream stream(line);
  std::string cell;
  while (std::getline(stream, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

}  // namespace

Result<ConceptMap> ConceptMap::Load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Fail(ErrorCode::kNotFound, "concept map " + file.string() + ": cannot be read");
  std::vector<ConceptMapping> rows;
  std::string line;
  int number = 0;
  bool header = true;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    auto cells = SplitCsv(line);
    if (cells.size() != 6 || cells[0].empty() || cells[1].empty() || cells[4].empty())
      return Fail(ErrorCode::kInvalidArgument, file.filename().string() + " line " + std::to_string(number) +
                                                   ": expected scheme,code,meaning,finding_site,field,unit");
    ConceptMapping row{{cells[1], cells[0], cells[2]}, std::nullopt, cells[4], cells[5]};
    if (!cells[3].empty()) {
      auto colon = cells[3].find(':');
      if (colon == std::string::npos)
        return Fail(ErrorCode::kInvalidArgument,
                    file.filename().string() + " line " + std::to_string(number) + ": finding_site is scheme:code");
      row.finding_site = domain::Code{cells[3].substr(colon + 1), cells[3].substr(0, colon), ""};
    }
    rows.push_back(std::move(row));
  }
  return ConceptMap(std::move(rows));
}

const ConceptMapping* ConceptMap::Find(const domain::Measurement& m) const {
  const ConceptMapping* any_site = nullptr;
  for (const auto& row : rows_) {
    if (!(row.concept_code == m.canonical_concept)) continue;
    if (!row.finding_site) {
      if (!any_site) any_site = &row;
      continue;
    }
    if (m.finding_site && *row.finding_site == *m.finding_site) return &row;
  }
  return any_site;
}

}  // namespace systole::services
