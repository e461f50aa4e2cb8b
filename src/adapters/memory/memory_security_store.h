// In-memory UserStore, SessionStore and AuditStore, for tests. Thread-safe.
// Tamper() lets tests change or drop an audit record behind the chain's back.
#pragma once

#include <map>
#include <mutex>
#include <optional>

#include "ports/security_store.h"

namespace systole::adapters {

class MemorySecurityStore final : public ports::UserStore, public ports::SessionStore, public ports::AuditStore {
 public:
  Status AddUser(const domain::User& user) override;
  Result<domain::User> FindUser(const std::string& name) override;
  Result<std::vector<domain::User>> ListUsers() override;
  Status UpdateLoginState(const domain::User& user) override;

  Status AddSession(const domain::Session& session) override;
  Result<domain::Session> FindSession(const std::string& token_hash) override;
  Status TouchSession(const std::string& token_hash, std::int64_t last_seen_at) override;
  Status RemoveSession(const std::string& token_hash) override;
  std::size_t SessionCount();

  Result<domain::AuditRecord> LastRecord() override;
  Status Append(const domain::AuditRecord& record) override;
  Status ForEachRecord(const std::function<void(const domain::AuditRecord&)>& visit) override;
  Result<std::vector<domain::AuditRecord>> Search(const domain::AuditFilter& filter) override;
  // Tests: replace (a value) or delete (nullopt) the record `seq`.
  void Tamper(std::int64_t seq, std::optional<domain::AuditRecord> replacement);

 private:
  std::mutex mutex_;
  std::map<std::string, domain::User> users_;
  std::map<std::string, domain::Session> sessions_;
  std::map<std::int64_t, domain::AuditRecord> audit_;
};

}  // namespace systole::adapters
