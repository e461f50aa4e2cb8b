// MemoryReportStore: an in-memory fake of ports::ReportStore for unit tests;
// passes the same contract suite as the SQLite adapter.
#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "ports/report_store.h"

namespace systole::adapters {

class MemoryReportStore final : public ports::ReportStore {
 public:
  Status CreateReport(const ports::ReportRow& row) override;
  Result<ports::ReportRow> GetReport(const std::string& id) override;
  Result<std::vector<ports::ReportRow>> StudyReports(const std::string& study_instance_uid) override;
  Status UpdateReport(const ports::ReportRow& row, const ports::SignedVersion* signed_version) override;
  Result<std::vector<ports::SignedVersion>> Versions(const std::string& report_id) override;
  Result<std::vector<ports::SignedVersion>> LatestSigned(const ports::ReportFilter& filter) override;

 private:
  std::mutex mutex_;
  std::vector<ports::ReportRow> reports_;  // in creation order
  std::map<std::string, std::vector<ports::SignedVersion>> versions_;
};

}  // namespace systole::adapters
