// Port of the data-level access records (services/scope): grants and share
// links. Adapters: adapters/memory (tests), adapters/sqlite (SqliteAccessGrants,
// schema version 8). Every method is thread-safe. Errors: kNotFound,
// kAlreadyExists, kUnavailable.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "domain/scope.h"

namespace systole::ports {

class AccessGrants {
 public:
  virtual ~AccessGrants() = default;

  // Stores a grant; answers its id.
  virtual Result<std::int64_t> AddGrant(const domain::Grant& grant) = 0;
  // Removes grants of `kind` for `user` with `value`; answers how many were removed.
  virtual Result<int> RemoveGrants(const std::string& kind, const std::string& user, const std::string& value) = 0;
  // Grants of `kind` (oldest first); `user` empty: every user's.
  virtual Result<std::vector<domain::Grant>> ListGrants(const std::string& kind, const std::string& user) = 0;

  // kAlreadyExists when the id or token hash is taken.
  virtual Status AddShare(const domain::Share& share) = 0;
  // kNotFound when absent.
  virtual Result<domain::Share> FindShare(const std::string& id) = 0;
  virtual Result<domain::Share> FindShareByToken(const std::string& token_hash) = 0;
  // Shares of a study, newest first; `study` empty: all.
  virtual Result<std::vector<domain::Share>> ListShares(const std::string& study) = 0;
  // Stores failed_pins and revoked_at of the share with this id (kNotFound when absent).
  virtual Status UpdateShare(const domain::Share& share) = 0;
};

}  // namespace systole::ports
