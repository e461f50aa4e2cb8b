// SqliteSecurityStore: users, sign-ins and the audit log (schema version 7)
// in the index database. Opens its own small connection pool on the same file
// (migrating it if needed), so admin commands can use it without the index.
// Thread-safe.
#pragma once

#include <filesystem>
#include <memory>

#include "ports/security_store.h"

namespace systole::adapters {

namespace sqlite { class ConnectionPool; }

class SqliteSecurityStore final : public ports::UserStore, public ports::SessionStore, public ports::AuditStore {
 public:
  static Result<std::unique_ptr<SqliteSecurityStore>> Open(const std::filesystem::path& path);
  ~SqliteSecurityStore() override;

  Status AddUser(const domain::User& user) override;
  Result<domain::User> FindUser(const std::string& name) override;
  Result<std::vector<domain::User>> ListUsers() override;
  Status UpdateLoginState(const domain::User& user) override;

  Status AddSession(const domain::Session& session) override;
  Result<domain::Session> FindSession(const std::string& token_hash) override;
  Status TouchSession(const std::string& token_hash, std::int64_t last_seen_at) override;
  Status RemoveSession(const std::string& token_hash) override;

  Result<domain::AuditRecord> LastRecord() override;
  Status Append(const domain::AuditRecord& record) override;
  Status ForEachRecord(const std::function<void(const domain::AuditRecord&)>& visit) override;
  Result<std::vector<domain::AuditRecord>> Search(const domain::AuditFilter& filter) override;

 private:
  explicit SqliteSecurityStore(std::unique_ptr<sqlite::ConnectionPool> pool);
  std::unique_ptr<sqlite::ConnectionPool> pool_;
};

}  // namespace systole::adapters
