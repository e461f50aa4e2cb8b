// ReconciliationService: keeps stored studies and orders/ADT patients in step,
// and shows what it cannot resolve instead of guessing.
//
//   recon.StudyStored(study_uid, header_patient, accession);  // each stored instance
//   recon.Retry();                    // after an order or ADT: waiting studies again
//   recon.Orphans(); recon.Mismatches(); recon.DuplicatePatients();
//   recon.Link(study_uid, accession, user); recon.CorrectPatient(study_uid, patient, user);
//   recon.Dismiss(study_uid, user); recon.Log(100);
//
// A study is matched to its order by AccessionNumber (+ PatientID and
// IssuerOfPatientID when both sides have them). Linked: the order's context
// (requested procedure, indication, priority, referring physician) is kept
// with it. No order: orphan. The header's patient (ID, issuer, name, birth
// date, sex) disagrees with the order's patient: mismatch, not linked. Every
// state change and admin action is logged (who, when, before/after).
// Files are never rewritten. Errors: kNotFound (unknown study or accession),
// kInvalidArgument (bad request, e.g. linking a mismatching patient), kUnavailable.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "domain/reconciliation.h"
#include "ports/identity_index.h"
#include "ports/reconciliation.h"

namespace systole::services {

// The attributes on which `header` and `order` disagree (an attribute empty on
// either side is not a disagreement; names compare case- and trailing-'^'-insensitively).
std::vector<domain::IdentityDifference> CompareIdentity(const domain::Patient& header, const domain::Patient& order);

class ReconciliationService {
 public:
  ReconciliationService(ports::ReconciliationStore& store, ports::OrderBook& orders);

  // True if the study has a reconciliation record already (callers skip reading the header).
  Result<bool> Known(const std::string& study_uid);
  // A study's first instance was stored: records its header patient, then reconciles.
  Status StudyStored(const std::string& study_uid, const domain::Patient& header_patient,
                     const std::string& accession_number);
  // Reconciles every orphan and mismatch again (an order or ADT arrived); returns how many got linked.
  Result<std::size_t> Retry();

  Result<std::vector<domain::StudyReconciliation>> Orphans() { return store_.ListReconciliations(domain::kReconOrphan); }
  Result<std::vector<domain::StudyReconciliation>> Mismatches() {
    return store_.ListReconciliations(domain::kReconMismatch);
  }
  Result<std::vector<domain::DuplicateCandidates>> DuplicatePatients() { return store_.DuplicatePatients(); }
  Result<std::optional<domain::StudyReconciliation>> Get(const std::string& study_uid) {
    return store_.GetReconciliation(study_uid);
  }
  Result<std::vector<domain::ReconciliationAction>> Log(std::size_t limit) { return store_.ListActions(limit); }

  // Admin: links the study to the order of `accession` (an orphan, or a mismatch the admin
  // confirms: the study is refiled under the order's patient). kNotFound without such order.
  Result<domain::StudyReconciliation> Link(const std::string& study_uid, const std::string& accession,
                                           const std::string& user);
  // Admin: files the study under `patient` in the index (the files keep their header; retrieves
  // serve the corrected patient module), then reconciles it again.
  Result<domain::StudyReconciliation> CorrectPatient(const std::string& study_uid, const domain::Patient& patient,
                                                     const std::string& user);
  // Admin: dismisses the flag of an orphan or mismatch (kept as "dismissed").
  Result<domain::StudyReconciliation> Dismiss(const std::string& study_uid, const std::string& user);

 private:
  // The record of the study after matching it against the orders (nothing stored).
  static domain::StudyReconciliation Match(domain::StudyReconciliation record, const domain::Patient& patient,
                                           const std::vector<domain::ScheduledStep>& steps);
  Result<domain::StudyReconciliation> Require(const std::string& study_uid);
  Status Save(const domain::StudyReconciliation& before, const domain::StudyReconciliation& after,
              const std::string& user, const std::string& action);

  ports::ReconciliationStore& store_;
  ports::OrderBook& orders_;
  std::mutex mutex_;  // one reconciliation at a time (read-modify-write of a record)
};

// JSON of a record / of a patient (for the API and the log).
std::string RecordJson(const domain::StudyReconciliation& record);

}  // namespace systole::services
