#include "services/measurements/measurement_service.h"

#include <map>
#include <tuple>

namespace systole::services {
namespace {

using domain::Code;

std::string Key(const std::optional<Code>& code) { return code ? code->scheme + '\x1e' + code->value : std::string(); }

std::string GroupKey(const domain::Measurement& m) {
  std::string key = m.sr_sop_instance_uid + '\x1f' + m.canonical_concept.scheme + '\x1e' + m.canonical_concept.value;
  for (const auto* modifier :
       {&m.finding_site, &m.laterality, &m.image_mode, &m.cardiac_phase, &m.method, &m.flow_direction, &m.stage})
    key += '\x1f' + Key(*modifier);
  return key;
}

const Code kMean{"373098007", "SCT", ""};

}  // namespace

std::vector<FoldedMeasurement> FoldMeasurements(const std::vector<domain::Measurement>& raw) {
  std::vector<std::vector<const domain::Measurement*>> groups;
  std::map<std::string, std::size_t> index;
  for (const auto& m : raw) {
    auto [it, inserted] = index.try_emplace(GroupKey(m), groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(&m);
  }
  std::vector<FoldedMeasurement> out;
  out.reserve(groups.size());
  for (const auto& group : groups) {
    const domain::Measurement* chosen = nullptr;
    for (const auto* m : group)
      if (m->selection_status) chosen = m;
    if (!chosen)
      for (const auto* m : group)
        if (m->derivation && *m->derivation == kMean) chosen = m;
    if (!chosen) chosen = group.back();
    FoldedMeasurement folded{*chosen, {}};
    for (const auto* m : group)
      if (m != chosen) folded.samples.push_back(*m);
    out.push_back(std::move(folded));
  }
  return out;
}

Result<std::vector<FoldedMeasurement>> MeasurementService::StudyMeasurements(const std::string& study_instance_uid) {
  const bool is_uid = !study_instance_uid.empty() && study_instance_uid.size() <= 64 &&
                      study_instance_uid.find_first_not_of("0123456789.") == std::string::npos;
  if (!is_uid) return Fail(ErrorCode::kInvalidArgument, "not a UID: " + study_instance_uid);
  auto matcher = domain::ParseMatcher(domain::Attribute::StudyInstanceUID, study_instance_uid);
  if (!matcher) return std::unexpected(matcher.error());
  domain::Query query;
  query.level = domain::Level::kStudy;
  query.conditions.push_back({domain::Attribute::StudyInstanceUID, *matcher});
  query.limit = 1;
  auto studies = studies_.Find(query);
  if (!studies) return std::unexpected(studies.error());
  if (studies->empty()) return Fail(ErrorCode::kNotFound, "no study " + study_instance_uid);
  auto raw = store_.StudyMeasurements(study_instance_uid);
  if (!raw) return std::unexpected(raw.error());
  return FoldMeasurements(*raw);
}

}  // namespace systole::services
