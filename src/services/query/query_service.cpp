#include "services/query/query_service.h"

#include "base/log.h"

namespace systole::services {

QueryService::QueryService(ports::StudyQuery& index, ports::BlobStore& blobs, std::size_t max_results)
    : index_(index), blobs_(blobs), max_results_(max_results) {}

Result<std::vector<domain::QueryRow>> QueryService::Find(domain::Query query) {
  if (max_results_ > 0 && (query.limit == 0 || query.limit > max_results_)) query.limit = max_results_;
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
    set.instances.push_back({std::move(instance), std::move(*path)});
  }
  return set;
}

}  // namespace systole::services
