// Ports of the security service: users, sign-ins and the audit log.
// Adapters: adapters/memory (tests), adapters/sqlite (SqliteSecurityStore).
// Every method is thread-safe. Errors: kNotFound, kAlreadyExists, kUnavailable.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/security.h"

namespace systole::ports {

class UserStore {
 public:
  virtual ~UserStore() = default;
  // kAlreadyExists when the name is taken.
  virtual Status AddUser(const domain::User& user) = 0;
  // kNotFound when there is no such user.
  virtual Result<domain::User> FindUser(const std::string& name) = 0;
  virtual Result<std::vector<domain::User>> ListUsers() = 0;
  // Stores failed_logins and locked_until of `user` (found by name).
  virtual Status UpdateLoginState(const domain::User& user) = 0;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual Status AddSession(const domain::Session& session) = 0;
  // kNotFound when no session has this token hash.
  virtual Result<domain::Session> FindSession(const std::string& token_hash) = 0;
  virtual Status TouchSession(const std::string& token_hash, std::int64_t last_seen_at) = 0;
  // Removing an absent session succeeds.
  virtual Status RemoveSession(const std::string& token_hash) = 0;
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;
  // The last record, or kNotFound when the log is empty.
  virtual Result<domain::AuditRecord> LastRecord() = 0;
  // Appends; record.seq must be LastRecord().seq + 1 (kAlreadyExists otherwise).
  virtual Status Append(const domain::AuditRecord& record) = 0;
  // Every record in seq order (verification).
  virtual Status ForEachRecord(const std::function<void(const domain::AuditRecord&)>& visit) = 0;
  virtual Result<std::vector<domain::AuditRecord>> Search(const domain::AuditFilter& filter) = 0;
};

}  // namespace systole::ports
