// IdentityService: patients and orders as the EHR/RIS tells them (HL7 ADT and
// ORM/OMI through protocols/hl7), and the Modality Worklist they become
// (C-FIND through protocols/dimse).
//
//   IdentityService identity(registry, orders, log, clock);
//   identity.RecordPatient(patient);                       // ADT A01/A04/A05/A08/A28/A31
//   identity.MergePatients(surviving, merged, "MSG123");   // ADT A40
//   identity.ApplyOrder(OrderControl::kNew, steps);        // ORM^O01 / OMI^O23
//   identity.FindWorklist(conditions, 100);                // MWL C-FIND
//
// Demographics live in the index; stored DICOM files are never rewritten.
// Errors: kInvalidArgument (a required value is missing), kNotFound (cancel of
// an unknown order, merge of an unknown patient), kUnavailable (storage).
// Thread-safe (the ports are).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/identity.h"
#include "domain/query.h"
#include "ports/identity_index.h"

namespace systole::services {

// HL7 order control (ORC-1) Systole acts on.
enum class OrderControl {
  kNew,          // NW: a new order → SCHEDULED steps
  kChange,       // XO: replace the steps' details
  kCancel,       // CA: the order is cancelled before it started
  kDiscontinue,  // DC: the order is stopped
};

// Matching keys of the Modality Worklist.
enum class WorklistKey {
  kPatientID, kPatientName, kAccessionNumber, kStudyInstanceUID, kRequestedProcedureID, kReferringPhysicianName,
  kScheduledStationAETitle, kModality, kScheduledProcedureStepStartDate, kScheduledProcedureStepStartTime,
  kScheduledProcedureStepID, kScheduledProcedureStepStatus,
};

struct WorklistCondition {
  WorklistKey key;
  domain::Matcher matcher;
};

// Interprets a raw C-FIND value for `key` with the DICOM matching rules of
// its VR (PN case-insensitive wildcard, DA/TM ranges, UID lists, text
// wildcard). Empty = universal. kInvalidArgument on a malformed value.
Result<WorklistCondition> ParseWorklistCondition(WorklistKey key, std::string_view raw);

class IdentityService {
 public:
  IdentityService(ports::PatientRegistry& registry, ports::OrderBook& orders, ports::MessageLog& log,
                  const Clock& clock);

  // Creates or updates a patient (all demographics given replace the stored
  // ones; empty values are kept). Returns true if created.
  Result<bool> RecordPatient(const domain::Patient& patient);

  // Moves every study and step of `merged` to `surviving`, reversibly recorded.
  Result<domain::MergeOutcome> MergePatients(const domain::Patient& surviving, const domain::PatientIdentity& merged,
                                             std::string_view reference);

  // NW/XO: stores each step as SCHEDULED (missing step id / requested
  // procedure id default to the accession number; a missing Study Instance
  // UID is generated, 2.25 form, and kept across changes). CA/DC: marks every
  // step of each step's accession number. Returns the number of steps touched.
  Result<std::size_t> ApplyOrder(OrderControl control, std::vector<domain::ScheduledStep> steps);

  // Active steps matching every condition (a condition on the step status
  // also finds cancelled ones), at most `limit` (0 = all).
  Result<std::vector<domain::ScheduledStep>> FindWorklist(const std::vector<WorklistCondition>& conditions,
                                                          std::size_t limit);

  // Keeps an inbound message (received_at filled from the clock if empty).
  Status RecordMessage(domain::InboundMessage message);

  // The clock's time as an HL7 DTM (YYYYMMDDHHMMSS, UTC).
  std::string Hl7Timestamp() const;

  // Called (on the caller's thread) after a patient, a merge or an order changed
  // the index, e.g. to reconcile waiting studies again. Set once, before use.
  void OnChanged(std::function<void()> listener) { on_changed_ = std::move(listener); }

 private:
  void Changed() {
    if (on_changed_) on_changed_();
  }
  std::function<void()> on_changed_;
  ports::PatientRegistry& registry_;
  ports::OrderBook& orders_;
  ports::MessageLog& log_;
  const Clock& clock_;
};

// True if `step` satisfies every condition (the reference semantics of FindWorklist).
bool MatchesWorklist(const domain::ScheduledStep& step, const std::vector<WorklistCondition>& conditions);

}  // namespace systole::services
