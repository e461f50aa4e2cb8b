#include "adapters/memory/memory_report_store.h"

#include <algorithm>

namespace systole::adapters {

Status MemoryReportStore::CreateReport(const ports::ReportRow& row) {
  std::lock_guard lock(mutex_);
  for (const auto& r : reports_)
    if (r.id == row.id) return Fail(ErrorCode::kAlreadyExists, "report " + row.id + " exists");
  reports_.push_back(row);
  reports_.back().revision = 1;
  return {};
}

Result<ports::ReportRow> MemoryReportStore::GetReport(const std::string& id) {
  std::lock_guard lock(mutex_);
  for (const auto& r : reports_)
    if (r.id == id) return r;
  return Fail(ErrorCode::kNotFound, "no report " + id);
}

Result<std::vector<ports::ReportRow>> MemoryReportStore::StudyReports(const std::string& study_instance_uid) {
  std::lock_guard lock(mutex_);
  std::vector<ports::ReportRow> out;
  for (const auto& r : reports_)
    if (r.study_instance_uid == study_instance_uid) out.push_back(r);
  return out;
}

Status MemoryReportStore::UpdateReport(const ports::ReportRow& row, const ports::SignedVersion* signed_version) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(reports_.begin(), reports_.end(), [&](const auto& r) { return r.id == row.id; });
  if (it == reports_.end()) return Fail(ErrorCode::kNotFound, "no report " + row.id);
  if (it->revision != row.revision)
    return Fail(ErrorCode::kAlreadyExists, "report " + row.id + " was changed meanwhile");
  if (signed_version) {
    for (const auto& v : versions_[row.id])
      if (v.version == signed_version->version)
        return Fail(ErrorCode::kAlreadyExists, "report " + row.id + " already has a signed version " +
                                                   std::to_string(v.version));
  }
  *it = row;
  it->revision = row.revision + 1;
  if (signed_version) versions_[row.id].push_back(*signed_version);
  return {};
}

Result<std::vector<ports::SignedVersion>> MemoryReportStore::Versions(const std::string& report_id) {
  std::lock_guard lock(mutex_);
  auto out = versions_[report_id];
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

Result<std::vector<ports::SignedVersion>> MemoryReportStore::LatestSigned(const ports::ReportFilter& filter) {
  std::lock_guard lock(mutex_);
  auto matches = [&](const std::string& want, const std::string& have) { return want.empty() || want == have; };
  std::vector<ports::SignedVersion> out;
  for (const auto& [id, versions] : versions_) {
    if (versions.empty()) continue;
    const auto& latest = *std::max_element(versions.begin(), versions.end(),
                                           [](const auto& a, const auto& b) { return a.version < b.version; });
    if (matches(filter.report_id, latest.report_id) && matches(filter.patient_id, latest.patient_id) &&
        (filter.patient_id.empty() || matches(filter.patient_issuer, latest.patient_issuer)) &&
        matches(filter.study_instance_uid, latest.study_instance_uid) &&
        matches(filter.accession_number, latest.accession_number))
      out.push_back(latest);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.signed_at > b.signed_at; });
  return out;
}

}  // namespace systole::adapters
