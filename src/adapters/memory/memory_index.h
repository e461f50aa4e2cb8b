// MemoryIndex: an in-memory fake of the index ports for unit tests. Same
// contract as the SQLite adapter (it passes the same contract suite), with
// matching done by domain::Matches — the reference semantics.
#pragma once

#include <mutex>
#include <vector>

#include "ports/study_index.h"

namespace systole::adapters {

class MemoryIndex final : public ports::InstanceIndex, public ports::StudyQuery {
 public:
  Result<ports::AddResult> AddInstance(const domain::InstanceRecord& record, bool replace) override;
  Status ForEachInstance(const std::function<void(const domain::StoredInstance&)>& visit) override;
  Result<std::vector<domain::QueryRow>> Find(const domain::Query& query) override;
  Result<std::vector<domain::StoredInstance>> Locate(const domain::Query& query) override;

 private:
  std::mutex mutex_;
  std::vector<domain::InstanceRecord> records_;
};

}  // namespace systole::adapters
