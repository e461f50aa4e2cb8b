// The identity ports: patients as the EHR/ADT knows them, the scheduled
// procedure steps that orders become, and the log of inbound messages.
//
//   PatientRegistry — create/update demographics; merge one patient into another
//   OrderBook       — store and list scheduled procedure steps
//   MessageLog      — keep every inbound HL7 message with its answer
//
// Demographics live in the index only: stored DICOM files are never rewritten.
// SQLite and the in-memory fake implement all three; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "domain/identity.h"

namespace systole::ports {

class PatientRegistry {
 public:
  virtual ~PatientRegistry() = default;

  // Creates the patient, or updates the demographics of the patient with this
  // identity. A patient indexed from DICOM without an issuer (IssuerOfPatientID
  // empty) and the same ID is the same patient (single-domain default): its
  // demographics are updated, its identity kept. Empty fields of `patient` are
  // left as stored when `overwrite_empty` is false. Returns true if created.
  // kInvalidArgument without an ID.
  virtual Result<bool> UpsertPatient(const domain::Patient& patient, bool overwrite_empty) = 0;

  // Re-links every study and scheduled step of `merged` to `surviving`
  // (created if unknown, demographics updated), records the merge (which
  // studies and steps moved, reversibly) with `reference` (e.g. the HL7
  // control id) and redirects later instances of `merged` to `surviving`.
  // kNotFound if `merged` is not known; kInvalidArgument if both are the same.
  virtual Result<domain::MergeOutcome> MergePatients(const domain::Patient& surviving,
                                                     const domain::PatientIdentity& merged,
                                                     std::string_view reference) = 0;
};

class OrderBook {
 public:
  virtual ~OrderBook() = default;

  // Inserts the step, or replaces the one with the same accession number and
  // step id. Its patient is created if unknown (existing demographics are
  // kept: ADT owns them). kInvalidArgument without accession or patient ID.
  virtual Status UpsertStep(const domain::ScheduledStep& step) = 0;

  // Sets the status of every step of `accession_number`; returns how many.
  virtual Result<std::size_t> SetOrderStatus(std::string_view accession_number, std::string_view status) = 0;

  // Every step (with its patient's current demographics), ordered by start
  // date/time; only SCHEDULED ones (and other non-final states) when active_only.
  virtual Result<std::vector<domain::ScheduledStep>> ListSteps(bool active_only) = 0;
};

class MessageLog {
 public:
  virtual ~MessageLog() = default;
  // Durable when it returns. kUnavailable on storage errors.
  virtual Status RecordMessage(const domain::InboundMessage& message) = 0;
};

}  // namespace systole::ports
