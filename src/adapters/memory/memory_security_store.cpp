#include "adapters/memory/memory_security_store.h"

namespace systole::adapters {

Status MemorySecurityStore::AddUser(const domain::User& user) {
  std::lock_guard lock(mutex_);
  if (!users_.emplace(user.name, user).second) return Fail(ErrorCode::kAlreadyExists, "user " + user.name + " exists");
  return {};
}

Result<domain::User> MemorySecurityStore::FindUser(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(name);
  if (it == users_.end()) return Fail(ErrorCode::kNotFound, "no user " + name);
  return it->second;
}

Result<std::vector<domain::User>> MemorySecurityStore::ListUsers() {
  std::lock_guard lock(mutex_);
  std::vector<domain::User> users;
  for (const auto& [_, user] : users_) users.push_back(user);
  return users;
}

Status MemorySecurityStore::UpdateLoginState(const domain::User& user) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user.name);
  if (it == users_.end()) return Fail(ErrorCode::kNotFound, "no user " + user.name);
  it->second.failed_logins = user.failed_logins;
  it->second.locked_until = user.locked_until;
  return {};
}

Status MemorySecurityStore::AddSession(const domain::Session& session) {
  std::lock_guard lock(mutex_);
  sessions_[session.token_hash] = session;
  return {};
}

Result<domain::Session> MemorySecurityStore::FindSession(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(token_hash);
  if (it == sessions_.end()) return Fail(ErrorCode::kNotFound, "no such session");
  return it->second;
}

Status MemorySecurityStore::TouchSession(const std::string& token_hash, std::int64_t last_seen_at) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(token_hash); it != sessions_.end()) it->second.last_seen_at = last_seen_at;
  return {};
}

Status MemorySecurityStore::RemoveSession(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  sessions_.erase(token_hash);
  return {};
}

std::size_t MemorySecurityStore::SessionCount() {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

Result<domain::AuditRecord> MemorySecurityStore::LastRecord() {
  std::lock_guard lock(mutex_);
  if (audit_.empty()) return Fail(ErrorCode::kNotFound, "empty audit log");
  return audit_.rbegin()->second;
}

Status MemorySecurityStore::Append(const domain::AuditRecord& record) {
  std::lock_guard lock(mutex_);
  const std::int64_t last = audit_.empty() ? 0 : audit_.rbegin()->first;
  if (record.seq != last + 1) return Fail(ErrorCode::kAlreadyExists, "audit seq race");
  audit_[record.seq] = record;
  return {};
}

Status MemorySecurityStore::ForEachRecord(const std::function<void(const domain::AuditRecord&)>& visit) {
  std::lock_guard lock(mutex_);
  for (const auto& [_, record] : audit_) visit(record);
  return {};
}

Result<std::vector<domain::AuditRecord>> MemorySecurityStore::Search(const domain::AuditFilter& f) {
  std::lock_guard lock(mutex_);
  std::vector<domain::AuditRecord> found;
  for (const auto& [_, r] : audit_) {
    if ((!f.user.empty() && r.user != f.user) || (!f.patient.empty() && r.patient != f.patient) ||
        (!f.study.empty() && r.study != f.study) || (f.from && r.recorded_at < *f.from) ||
        (f.to && r.recorded_at > *f.to))
      continue;
    if (found.size() >= f.limit) break;
    found.push_back(r);
  }
  return found;
}

void MemorySecurityStore::Tamper(std::int64_t seq, std::optional<domain::AuditRecord> replacement) {
  std::lock_guard lock(mutex_);
  if (replacement)
    audit_[seq] = *replacement;
  else
    audit_.erase(seq);
}

}  // namespace systole::adapters
