// ReportDocument: one version of a cardiology report as it is delivered —
// to the PDF, the Comprehensive SR and Encapsulated PDF stored back into the
// study, the HL7 v2 ORU^R01 and the FHIR DiagnosticReport/Observations.
//
// The reporting service (services/reporting) owns drafts, templates and the
// lifecycle, and produces a ReportDocument for every signed version (final or
// addendum); delivery (services/delivery) only reads it. Plain data, UTF-8,
// DICOM value formats for demographics (PN "Family^Given", DA YYYYMMDD),
// ISO 8601 UTC for times, UCUM for units, decimal strings for numbers.
#pragma once

#include <string>
#include <vector>

#include "domain/identity.h"
#include "domain/measurement.h"

namespace systole::domain {

// Lifecycle states: draft → preliminary → final; a final report changes
// only by addenda (each signed; the report's status becomes "addendum").
inline constexpr const char* kReportDraft = "draft";
inline constexpr const char* kReportPreliminary = "preliminary";
inline constexpr const char* kReportFinal = "final";
inline constexpr const char* kReportAddendum = "addendum";

// Where a field's value came from (shown as a badge; kept in every output).
inline constexpr const char* kSourceDevice = "device";      // a modality's SR (cart)
inline constexpr const char* kSourceViewer = "viewer";      // measured in Systole's viewer (TID 1500 SR)
inline constexpr const char* kSourceAi = "ai";              // AI-suggested (an algorithm's SR)
inline constexpr const char* kSourceTyped = "typed";        // typed or changed by the reader
inline constexpr const char* kSourceDerived = "derived";    // computed from other fields (formula)
inline constexpr const char* kSourceMetadata = "metadata";  // DICOM header / order (age, sex, indication …)

// One field of a delivered report, with everything an output needs.
struct ReportValue {
  std::string field_id;       // template field id, e.g. "lv.ef"
  std::string label;          // "LV ejection fraction (biplane)"
  Code code;                  // LOINC/SCT/DCM concept for coded outputs (ORU OBX-3, SR concept, FHIR code); may be empty
  std::string kind;           // "number", "choice", "text"
  std::string value;          // decimal string (number), choice meaning (choice) or text
  Code choice_code;           // the chosen item's code, for coded choices; empty otherwise
  std::string unit;           // UCUM, numbers only
  std::string normal_range;   // "52-72" for display / OBX-7, empty when none
  std::string flag;           // "", "L", "H" (outside the normal range; HL7 table 0078)
  std::string source;         // kSource*
  std::string source_detail;  // e.g. the SR SOP Instance UID, or the formula ("Mosteller")
};

struct ReportSection {
  std::string id;     // "lv"
  std::string title;  // "Left ventricle"
  std::vector<ReportValue> values;  // filled values only, in template order
};

struct ReportSignature {
  std::string signer;          // user name
  std::string signer_display;  // "Dr Jane Smith" (PN-like display name), may equal signer
  std::string signed_at;       // ISO 8601 UTC
  std::string content_sha256;  // hex SHA-256 of the canonical content that was signed
};

struct ReportAddendum {
  std::string text;
  ReportSignature signature;
};

struct ReportDocument {
  std::string report_id;  // stable across versions
  int version = 1;        // 1 = the first final; each addendum +1
  std::string status;     // kReportFinal or kReportAddendum (kReportPreliminary for previews)

  std::string template_id;     // "tte"
  std::string template_title;  // "Transthoracic echocardiogram"
  std::string institution;     // header of the PDF, MSH-4, SR InstitutionName

  // Patient and study context at signing time (current demographics from the index).
  Patient patient;
  std::string study_instance_uid;
  std::string accession_number;
  std::string study_date;  // DA
  std::string study_time;  // TM
  std::string study_description;
  std::string referring_physician;  // PN
  std::string indication;

  std::vector<ReportSection> sections;
  std::string findings;    // narrative built from the sentence rules, as edited by the reader
  std::string impression;  // conclusion

  ReportSignature signature;             // of the original final
  std::vector<ReportAddendum> addenda;   // in order; the last one is this version's when status is addendum
  std::string created_at;                // ISO 8601 UTC of the draft
};

}  // namespace systole::domain
