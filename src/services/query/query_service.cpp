#include "services/query/query_service.h"

#include "base/log.h"

namespace systole::services {

QueryService::QueryService(ports::StudyQuery& index, ports::BlobStore& blobs, std::size_t max_results,
                           ports::PatientCorrections* corrections)
    : index_(index), blobs_(blobs), max_results_(max_results), corrections_(corrections) {}

Result<std::vector<domain::QueryRow>> QueryService::Find(domain::Query query, const domain::StudyScope& scope) {
  if (max_results_ > 0 && (query.limit == 0 || query.limit > max_results_)) query.limit = max_results_;
  if (!scope.all) {
    if (scope.studies.empty()) return std::vector<domain::QueryRow>{};
    // An added condition: the index pages and counts within the scope.
    domain::Matcher within;
    within.kind = domain::Matcher::Kind::kUidList;
    within.list.assign(scope.studies.begin(), scope.studies.end());
    query.conditions.push_back({domain::Attribute::StudyInstanceUID, std::move(within)});
  }
  return index_.Find(query);
}

Result<QueryService::RetrieveSet> QueryService::Retrieve(const domain::Query& query) {
  auto located = index_.Locate(query);
  if (!located) return std::unexpected(located.error());
  RetrieveSet set;
  set.instances.reserve(located->size());
  for (auto& instance : *located) {
    auto path = blobs_.ReadPath(instance.blob.key);
    if (!path) {
      LOG_ERROR("query", "instance {} is indexed but its blob {} is unreadable: {}", instance.sop_instance_uid,
                instance.blob.key, path.error().message);
      set.missing.push_back(instance.sop_instance_uid);
      continue;
    }
    set.instances.push_back({std::move(instance), std::move(*path), std::nullopt});
  }
  if (corrections_ && !set.instances.empty()) {
    std::vector<std::string> studies;
    for (const auto& item : set.instances)
      if (studies.empty() || studies.back() != item.instance.study_instance_uid)
        studies.push_back(item.instance.study_instance_uid);
    auto corrected = corrections_->CorrectedPatients(studies);
    if (!corrected) return std::unexpected(corrected.error());
    for (auto& item : set.instances)
      if (auto it = corrected->find(item.instance.study_instance_uid); it != corrected->end())
        item.corrected_patient = it->second;
  }
  return set;
}

}  // namespace systole::services
