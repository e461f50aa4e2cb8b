// SqliteAccessGrants: ports::AccessGrants on the index database (tables
// access_grants and shares, schema version 8). Opens its own small connection
// pool on the file (migrating it if needed). Thread-safe.
#pragma once

#include <filesystem>
#include <memory>

#include "ports/access_grants.h"

namespace systole::adapters {

namespace sqlite { class ConnectionPool; class Statement; }

class SqliteAccessGrants final : public ports::AccessGrants {
 public:
  static Result<std::unique_ptr<SqliteAccessGrants>> Open(const std::filesystem::path& path);
  ~SqliteAccessGrants() override;

  Result<std::int64_t> AddGrant(const domain::Grant& grant) override;
  Result<int> RemoveGrants(const std::string& kind, const std::string& user, const std::string& value) override;
  Result<std::vector<domain::Grant>> ListGrants(const std::string& kind, const std::string& user) override;

  Status AddShare(const domain::Share& share) override;
  Result<domain::Share> FindShare(const std::string& id) override;
  Result<domain::Share> FindShareByToken(const std::string& token_hash) override;
  Result<std::vector<domain::Share>> ListShares(const std::string& study) override;
  Status UpdateShare(const domain::Share& share) override;

 private:
  explicit SqliteAccessGrants(std::unique_ptr<sqlite::ConnectionPool> pool);
  Result<std::vector<domain::Share>> SelectShares(const std::string& where, const std::vector<std::string>& values);
  std::unique_ptr<sqlite::ConnectionPool> pool_;
};

}  // namespace systole::adapters
