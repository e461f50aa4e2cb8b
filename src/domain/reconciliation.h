// Reconciliation of stored studies with orders and the EHR's patients: the
// state of a study (linked to its order, orphan, mismatch), the order context
// it carries once linked, and the log of every action. Plain data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/identity.h"

namespace systole::domain {

inline constexpr const char* kReconOrphan = "orphan";        // no order found for its accession
inline constexpr const char* kReconMismatch = "mismatch";    // an order found, but another patient
inline constexpr const char* kReconLinked = "linked";        // linked to its order
inline constexpr const char* kReconDismissed = "dismissed";  // an admin dismissed the flag

// One patient attribute on which the header and the order disagree.
struct IdentityDifference {
  std::string attribute;  // DICOM keyword: PatientID, IssuerOfPatientID, PatientName, PatientBirthDate, PatientSex
  std::string header;     // as the study's DICOM header has it
  std::string order;      // as the order / ADT has it
};

struct StudyReconciliation {
  std::string study_instance_uid;
  Patient header_patient;                       // the patient module of the study's first instance
  std::string accession_number;                 // as the header has it
  std::string state;                            // kRecon*
  std::vector<IdentityDifference> differences;  // kReconMismatch
  std::string order_accession;                  // kReconLinked (or the order the mismatch is against)
  std::string requested_procedure;
  std::string indication;
  std::string priority;
  std::string referring_physician;
  std::string updated_at;                       // ISO 8601 UTC, set by the store
};

// One recorded action (automatic ones by user "system").
struct ReconciliationAction {
  std::int64_t id = 0;
  std::string at;       // ISO 8601 UTC, set by the store
  std::string user;
  std::string action;   // auto-link, orphan, mismatch, link, correct-patient, dismiss
  std::string study_instance_uid;
  std::string before;   // JSON
  std::string after;    // JSON
};

// Patients with the same normalised name and birth date under different IDs.
struct DuplicateCandidates {
  std::string name;
  std::string birth_date;
  std::vector<Patient> patients;
};

}  // namespace systole::domain
