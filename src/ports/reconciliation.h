// The reconciliation port: per-study reconciliation records, the action log,
// and the index operations reconciliation needs (what patient a study is filed
// under now, moving a study to another patient, duplicate-patient candidates).
// SQLite (sqlite_reconciliation.cpp) and an in-memory fake implement it;
// thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/reconciliation.h"

namespace systole::ports {

// What retrieves need: the index's current patient module of the studies whose
// stored headers it no longer agrees with (IHE PIR: served headers corrected).
class PatientCorrections {
 public:
  virtual ~PatientCorrections() = default;
  // Study Instance UID → current patient, only for those of `study_uids` whose
  // index patient differs from the patient module recorded from their header.
  // Empty (one indexed lookup) when nothing changed.
  virtual Result<std::map<std::string, domain::Patient>> CorrectedPatients(
      const std::vector<std::string>& study_uids) = 0;
};

class ReconciliationStore : public PatientCorrections {
 public:
  // The record of a study; nullopt if it has none yet.
  virtual Result<std::optional<domain::StudyReconciliation>> GetReconciliation(const std::string& study_uid) = 0;
  // Inserts or replaces the record (header patient kept as first recorded).
  virtual Status PutReconciliation(const domain::StudyReconciliation& record) = 0;
  // Records in `state`, oldest first.
  virtual Result<std::vector<domain::StudyReconciliation>> ListReconciliations(const std::string& state) = 0;

  // Appends to the action log (`at` and `id` set by the store).
  virtual Status AppendAction(const domain::ReconciliationAction& action) = 0;
  // Newest first, at most `limit`.
  virtual Result<std::vector<domain::ReconciliationAction>> ListActions(std::size_t limit) = 0;

  // The patient the study is filed under in the index. kNotFound if the study is not indexed.
  virtual Result<domain::Patient> StudyPatient(const std::string& study_uid) = 0;
  // Files the study under `patient` (created if unknown; given demographics
  // replace the stored ones of that patient). Counts kept right. kNotFound if
  // the study is not indexed; kInvalidArgument without a patient ID.
  virtual Status RefileStudy(const std::string& study_uid, const domain::Patient& patient) = 0;
  // Active patients sharing a normalised name (case, spaces and trailing '^'
  // ignored) and birth date under different IDs.
  virtual Result<std::vector<domain::DuplicateCandidates>> DuplicatePatients() = 0;
};

}  // namespace systole::ports
