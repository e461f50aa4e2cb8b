// QIDO-RS: studies, series and instances, on the same query model as C-FIND.
#include <fmt/format.h>

#include <charconv>
#include <set>

#include "dicom/dicom_json.h"
#include "protocols/dicomweb/internal.h"

namespace systole::dicomweb {
namespace {

using domain::Attribute;
using domain::Level;

// Attributes returned without includefield (PS3.18 10.6.3.3, those Systole indexes).
std::vector<Attribute> DefaultAttributes(Level level) {
  switch (level) {
    case Level::kStudy:
      return {Attribute::StudyDate, Attribute::StudyTime, Attribute::AccessionNumber, Attribute::ModalitiesInStudy,
              Attribute::ReferringPhysicianName, Attribute::PatientName, Attribute::PatientID,
              Attribute::PatientBirthDate, Attribute::PatientSex, Attribute::StudyInstanceUID, Attribute::StudyID,
              Attribute::StudyDescription, Attribute::NumberOfStudyRelatedSeries,
              Attribute::NumberOfStudyRelatedInstances};
    case Level::kSeries:
      return {Attribute::Modality, Attribute::SeriesDescription, Attribute::SeriesInstanceUID, Attribute::SeriesNumber,
              Attribute::NumberOfSeriesRelatedInstances, Attribute::StudyInstanceUID};
    case Level::kInstance:
      return {Attribute::SOPClassUID, Attribute::SOPInstanceUID, Attribute::InstanceNumber, Attribute::Rows,
              Attribute::Columns, Attribute::NumberOfFrames, Attribute::StudyInstanceUID,
              Attribute::SeriesInstanceUID};
    case Level::kPatient: break;
  }
  return {};
}

Result<std::size_t> ParseCount(const std::string& name, const std::string& text) {
  std::size_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size())
    return Fail(ErrorCode::kInvalidArgument, name + " must be a non-negative integer, not '" + text + "'");
  return value;
}

}  // namespace

http::HttpResponse Search(const http::HttpRequest& request, services::QueryService& query, Level level) {
  if (!AcceptsJson(request.Header("accept")))
    return http::HttpResponse::Error(406, "search results are application/dicom+json");
  domain::Query q;
  q.level = level;
  bool fuzzy = false;
  bool include_all = false;
  std::vector<std::uint32_t> extra_tags;
  for (const auto& [key, value] : request.query) {
    if (key == "limit" || key == "offset") {
      auto n = ParseCount(key, value);
      if (!n) return ErrorResponse(n.error());
      (key == "limit" ? q.limit : q.offset) = *n;
      continue;
    }
    if (key == "fuzzymatching") {
      fuzzy = value == "true";
      continue;
    }
    if (key == "includefield") {
      std::size_t start = 0;
      while (start <= value.size()) {
        std::size_t end = value.find(',', start);
        std::string field = value.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (field == "all") include_all = true;
        else if (auto tag = dicom::TagFromKeywordOrHex(field)) extra_tags.push_back(*tag);
        else if (!field.empty()) return http::HttpResponse::Error(400, "includefield: unknown attribute '" + field + "'");
        if (end == std::string::npos) break;
        start = end + 1;
      }
      continue;
    }
    auto tag = dicom::TagFromKeywordOrHex(key);
    if (!tag) return http::HttpResponse::Error(400, "unknown query parameter '" + key + "'");
    auto attribute = domain::FindAttributeByTag(*tag);
    if (!attribute || domain::Info(*attribute).tag >> 16 == 0x0002)
      return http::HttpResponse::Error(400, "matching on '" + key + "' is not supported");
    if (static_cast<int>(domain::Info(*attribute).level) > static_cast<int>(level))
      return http::HttpResponse::Error(400, "'" + key + "' cannot be matched at this level");
    auto matcher = domain::ParseMatcher(*attribute, value);
    if (!matcher) return ErrorResponse(matcher.error());
    if (fuzzy && domain::Info(*attribute).kind == domain::ValueKind::kPersonName &&
        matcher->kind == domain::Matcher::Kind::kSingle) {
      matcher->kind = domain::Matcher::Kind::kWildcard;  // fuzzy: the name starts with what was typed
      matcher->value += "*";
    }
    q.conditions.push_back({*attribute, std::move(*matcher)});
  }
  // Study- and series-scoped searches.
  for (auto [param, attribute] : {std::pair{"study", Attribute::StudyInstanceUID},
                                  std::pair{"series", Attribute::SeriesInstanceUID}}) {
    auto it = request.path_params.find(param);
    if (it == request.path_params.end()) continue;
    // A path names one study or series: exactly, never as a pattern or list.
    if (it->second.empty() || it->second.size() > 64 ||
        it->second.find_first_not_of("0123456789.") != std::string::npos)
      return http::HttpResponse::Error(400, std::string(param) + " in the path is not a UID: '" + it->second + "'");
    domain::Matcher exact;
    exact.kind = domain::Matcher::Kind::kSingle;
    exact.value = it->second;
    q.conditions.push_back({attribute, std::move(exact)});
  }

  auto rows = query.Find(q, request.scope);
  if (!rows) return ErrorResponse(rows.error());

  std::vector<Attribute> attributes = DefaultAttributes(level);
  if (include_all) {
    attributes.clear();
    for (const auto& info : domain::AllAttributes())
      if (static_cast<int>(info.level) <= static_cast<int>(level) && info.tag >> 16 != 0x0002)
        attributes.push_back(info.attribute);
  }
  std::vector<std::uint32_t> unindexed;
  for (auto tag : extra_tags) {
    auto attribute = domain::FindAttributeByTag(tag);
    if (attribute && static_cast<int>(domain::Info(*attribute).level) <= static_cast<int>(level)) {
      if (std::find(attributes.begin(), attributes.end(), *attribute) == attributes.end()) attributes.push_back(*attribute);
    } else {
      unindexed.push_back(tag);
    }
  }
  const std::string base = BaseUrl(request);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : *rows) {
    nlohmann::json item = nlohmann::json::object();
    for (auto attribute : attributes) {
      const auto& info = domain::Info(attribute);
      item[fmt::format("{:08X}", info.tag)] = JsonValue(std::string(info.vr), row[static_cast<std::size_t>(attribute)]);
    }
    for (auto tag : unindexed) item[fmt::format("{:08X}", tag)] = nlohmann::json{{"vr", dicom::VrOfTag(tag)}};
    std::string url = base + "/studies/" + row[static_cast<std::size_t>(Attribute::StudyInstanceUID)];
    if (level != Level::kStudy) url += "/series/" + row[static_cast<std::size_t>(Attribute::SeriesInstanceUID)];
    if (level == Level::kInstance) url += "/instances/" + row[static_cast<std::size_t>(Attribute::SOPInstanceUID)];
    item["00081190"] = {{"vr", "UR"}, {"Value", {url}}};
    out.push_back(std::move(item));
  }
  // Text that is not valid UTF-8 (an unconvertible character set) is replaced, never an error.
  return http::HttpResponse::Json(200, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                  "application/dicom+json");
}

}  // namespace systole::dicomweb
