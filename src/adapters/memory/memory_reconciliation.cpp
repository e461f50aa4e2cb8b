#include "adapters/memory/memory_reconciliation.h"

#include <algorithm>
#include <cctype>

namespace systole::adapters {
namespace {

bool SamePatient(const domain::Patient& a, const domain::Patient& b) {
  return a.identity.id == b.identity.id && a.identity.issuer == b.identity.issuer && a.name == b.name &&
         a.birth_date == b.birth_date && a.sex == b.sex;
}

std::string NameKey(const std::string& name) {
  std::string out;
  for (char c : name)
    if (c != ' ') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  while (!out.empty() && out.back() == '^') out.pop_back();
  return out;
}

}  // namespace

void MemoryReconciliation::FileStudy(const std::string& study_uid, const domain::Patient& patient) {
  std::lock_guard lock(mutex_);
  filed_[study_uid] = patient;
}

Result<std::map<std::string, domain::Patient>> MemoryReconciliation::CorrectedPatients(
    const std::vector<std::string>& study_uids) {
  std::lock_guard lock(mutex_);
  std::map<std::string, domain::Patient> out;
  for (const auto& uid : study_uids) {
    auto record = records_.find(uid);
    auto filed = filed_.find(uid);
    if (record != records_.end() && filed != filed_.end() && !SamePatient(record->second.header_patient, filed->second))
      out[uid] = filed->second;
  }
  return out;
}

Result<std::optional<domain::StudyReconciliation>> MemoryReconciliation::GetReconciliation(const std::string& study_uid) {
  std::lock_guard lock(mutex_);
  auto it = records_.find(study_uid);
  if (it == records_.end()) return std::optional<domain::StudyReconciliation>{};
  return std::optional<domain::StudyReconciliation>{it->second};
}

Status MemoryReconciliation::PutReconciliation(const domain::StudyReconciliation& record) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = records_.try_emplace(record.study_instance_uid, record);
  if (!inserted) {
    const domain::Patient header = it->second.header_patient;
    it->second = record;
    it->second.header_patient = header;
  }
  it->second.updated_at = std::to_string(actions_.size());
  return {};
}

Result<std::vector<domain::StudyReconciliation>> MemoryReconciliation::ListReconciliations(const std::string& state) {
  std::lock_guard lock(mutex_);
  std::vector<domain::StudyReconciliation> out;
  for (const auto& [uid, record] : records_)
    if (record.state == state) out.push_back(record);
  return out;
}

Status MemoryReconciliation::AppendAction(const domain::ReconciliationAction& action) {
  std::lock_guard lock(mutex_);
  actions_.push_back(action);
  actions_.back().id = static_cast<std::int64_t>(actions_.size());
  actions_.back().at = "2026-01-01T00:00:00Z";
  return {};
}

Result<std::vector<domain::ReconciliationAction>> MemoryReconciliation::ListActions(std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<domain::ReconciliationAction> out(actions_.rbegin(), actions_.rend());
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<domain::Patient> MemoryReconciliation::StudyPatient(const std::string& study_uid) {
  std::lock_guard lock(mutex_);
  auto it = filed_.find(study_uid);
  if (it == filed_.end()) return Fail(ErrorCode::kNotFound, "study " + study_uid + " is not stored");
  return it->second;
}

Status MemoryReconciliation::RefileStudy(const std::string& study_uid, const domain::Patient& patient) {
  if (patient.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "patient without an identifier");
  std::lock_guard lock(mutex_);
  auto it = filed_.find(study_uid);
  if (it == filed_.end()) return Fail(ErrorCode::kNotFound, "study " + study_uid + " is not stored");
  it->second = patient;
  return {};
}

Result<std::vector<domain::DuplicateCandidates>> MemoryReconciliation::DuplicatePatients() {
  std::lock_guard lock(mutex_);
  std::map<std::pair<std::string, std::string>, domain::DuplicateCandidates> groups;
  for (const auto& [uid, p] : filed_) {
    if (p.name.empty() || p.birth_date.empty()) continue;
    auto& group = groups[{NameKey(p.name), p.birth_date}];
    group.name = p.name;
    group.birth_date = p.birth_date;
    const bool known = std::any_of(group.patients.begin(), group.patients.end(), [&](const domain::Patient& q) {
      return q.identity.id == p.identity.id && q.identity.issuer == p.identity.issuer;
    });
    if (!known) group.patients.push_back(p);
  }
  std::vector<domain::DuplicateCandidates> out;
  for (auto& [key, group] : groups)
    if (group.patients.size() > 1) out.push_back(std::move(group));
  return out;
}

}  // namespace systole::adapters
