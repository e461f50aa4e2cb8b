// In-memory ports::AccessGrants, for tests. Thread-safe.
#pragma once

#include <map>
#include <mutex>

#include "ports/access_grants.h"

namespace systole::adapters {

class MemoryAccessGrants final : public ports::AccessGrants {
 public:
  Result<std::int64_t> AddGrant(const domain::Grant& grant) override;
  Result<int> RemoveGrants(const std::string& kind, const std::string& user, const std::string& value) override;
  Result<std::vector<domain::Grant>> ListGrants(const std::string& kind, const std::string& user) override;

  Status AddShare(const domain::Share& share) override;
  Result<domain::Share> FindShare(const std::string& id) override;
  Result<domain::Share> FindShareByToken(const std::string& token_hash) override;
  Result<std::vector<domain::Share>> ListShares(const std::string& study) override;
  Status UpdateShare(const domain::Share& share) override;

 private:
  std::mutex mutex_;
  std::int64_t next_id_ = 1;
  std::map<std::int64_t, domain::Grant> grants_;
  std::map<std::string, domain::Share> shares_;  // by id
};

}  // namespace systole::adapters
