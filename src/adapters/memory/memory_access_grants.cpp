#include "adapters/memory/memory_access_grants.h"

#include <algorithm>

namespace systole::adapters {

Result<std::int64_t> MemoryAccessGrants::AddGrant(const domain::Grant& grant) {
  std::lock_guard lock(mutex_);
  domain::Grant stored = grant;
  stored.id = next_id_++;
  grants_[stored.id] = stored;
  return stored.id;
}

Result<int> MemoryAccessGrants::RemoveGrants(const std::string& kind, const std::string& user,
                                             const std::string& value) {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::erase_if(grants_, [&](const auto& entry) {
    const auto& g = entry.second;
    return g.kind == kind && g.user == user && g.value == value;
  }));
}

Result<std::vector<domain::Grant>> MemoryAccessGrants::ListGrants(const std::string& kind, const std::string& user) {
  std::lock_guard lock(mutex_);
  std::vector<domain::Grant> out;
  for (const auto& [id, g] : grants_)
    if (g.kind == kind && (user.empty() || g.user == user)) out.push_back(g);
  return out;
}

Status MemoryAccessGrants::AddShare(const domain::Share& share) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, s] : shares_)
    if (id == share.id || s.token_hash == share.token_hash) return Fail(ErrorCode::kAlreadyExists, "share exists");
  shares_[share.id] = share;
  return {};
}

Result<domain::Share> MemoryAccessGrants::FindShare(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = shares_.find(id);
  if (it == shares_.end()) return Fail(ErrorCode::kNotFound, "no share " + id);
  return it->second;
}

Result<domain::Share> MemoryAccessGrants::FindShareByToken(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, s] : shares_)
    if (s.token_hash == token_hash) return s;
  return Fail(ErrorCode::kNotFound, "no such share link");
}

Result<std::vector<domain::Share>> MemoryAccessGrants::ListShares(const std::string& study) {
  std::lock_guard lock(mutex_);
  std::vector<domain::Share> out;
  for (const auto& [id, s] : shares_)
    if (study.empty() || s.study == study) out.push_back(s);
  std::ranges::stable_sort(out, [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
  return out;
}

Status MemoryAccessGrants::UpdateShare(const domain::Share& share) {
  std::lock_guard lock(mutex_);
  auto it = shares_.find(share.id);
  if (it == shares_.end()) return Fail(ErrorCode::kNotFound, "no share " + share.id);
  it->second.failed_pins = share.failed_pins;
  it->second.revoked_at = share.revoked_at;
  return {};
}

}  // namespace systole::adapters
