// Patients, scheduled procedure steps and inbound messages as the identity
// service (HL7 ADT/orders, Modality Worklist) knows them. Plain data, UTF-8,
// DICOM value formats (PN "Family^Given^Middle^Prefix^Suffix", DA YYYYMMDD,
// TM HHMMSS, sex M/F/O).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace systole::domain {

// A patient identifier in its assigning authority (HL7 PID-3.1 / PID-3.4,
// DICOM PatientID / IssuerOfPatientID).
struct PatientIdentity {
  std::string id;
  std::string issuer;
};

struct Patient {
  PatientIdentity identity;
  std::string name;
  std::string birth_date;
  std::string sex;
};

// What a merge changed (for the caller's log and the ACK).
struct MergeOutcome {
  std::int64_t merge_id = 0;       // row of the merge record (reversible)
  std::size_t moved_studies = 0;
  std::size_t moved_steps = 0;
};

// Status values of a scheduled procedure step (DICOM ScheduledProcedureStepStatus
// defined terms, plus the order's end states).
inline constexpr const char* kStepScheduled = "SCHEDULED";
inline constexpr const char* kStepCanceled = "CANCELED";
inline constexpr const char* kStepDiscontinued = "DISCONTINUED";

// One Modality Worklist item: a requested procedure and one of its steps.
struct ScheduledStep {
  Patient patient;                          // when read back: the patient's current demographics
  std::string accession_number;             // key, with step_id
  std::string placer_order_number;
  std::string filler_order_number;
  std::string requested_procedure_id;
  std::string requested_procedure_description;
  std::string requested_procedure_code;     // code^meaning^scheme of the universal service id
  std::string study_instance_uid;
  std::string step_id;
  std::string step_description;
  std::string station_ae_titles;            // backslash-separated (VM 1-n)
  std::string station_name;
  std::string location;
  std::string modality;
  std::string start_date;
  std::string start_time;
  std::string referring_physician;
  std::string requesting_physician;
  std::string performing_physician;
  std::string indication;                   // ReasonForTheRequestedProcedure
  std::string priority;                     // STAT, HIGH, ROUTINE, MEDIUM, LOW or empty
  std::string status = kStepScheduled;
  std::string updated_at;                   // ISO 8601 UTC, set by the index
};

// One inbound HL7 message as received, with the answer given (audit, replay).
struct InboundMessage {
  std::string received_at;   // ISO 8601 UTC
  std::string peer;          // address:port of the connection
  std::string sending_application;
  std::string sending_facility;
  std::string message_type;  // "ADT^A08"
  std::string control_id;
  std::string ack_code;      // AA, AE, AR
  std::string error;         // why, for AE/AR
  std::string raw;           // the message bytes as received (without MLLP framing)
};

}  // namespace systole::domain
