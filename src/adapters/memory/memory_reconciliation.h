// MemoryReconciliation: an in-memory fake of ports::ReconciliationStore for
// unit tests. It keeps its own study → patient filing (FileStudy), standing in
// for the index.
#pragma once

#include <map>
#include <mutex>

#include "ports/reconciliation.h"

namespace systole::adapters {

class MemoryReconciliation final : public ports::ReconciliationStore {
 public:
  // Test setup: the study is indexed under `patient`.
  void FileStudy(const std::string& study_uid, const domain::Patient& patient);

  Result<std::map<std::string, domain::Patient>> CorrectedPatients(const std::vector<std::string>& study_uids) override;
  Result<std::optional<domain::StudyReconciliation>> GetReconciliation(const std::string& study_uid) override;
  Status PutReconciliation(const domain::StudyReconciliation& record) override;
  Result<std::vector<domain::StudyReconciliation>> ListReconciliations(const std::string& state) override;
  Status AppendAction(const domain::ReconciliationAction& action) override;
  Result<std::vector<domain::ReconciliationAction>> ListActions(std::size_t limit) override;
  Result<domain::Patient> StudyPatient(const std::string& study_uid) override;
  Status RefileStudy(const std::string& study_uid, const domain::Patient& patient) override;
  Result<std::vector<domain::DuplicateCandidates>> DuplicatePatients() override;

 private:
  std::mutex mutex_;
  std::map<std::string, domain::Patient> filed_;
  std::map<std::string, domain::StudyReconciliation> records_;
  std::vector<domain::ReconciliationAction> actions_;
};

}  // namespace systole::adapters
