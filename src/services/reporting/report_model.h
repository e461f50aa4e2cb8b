// The working copy of a report as the reporting service keeps it (drafts,
// preliminary, and the state after each signature), and its serialisation
// for ports::ReportStore. Signed versions are domain::ReportDocument.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/report.h"

namespace systole::services {

struct FieldState {
  std::string value;          // "" = no value
  std::string source;         // domain::kSource*
  std::string source_detail;  // SR SOP Instance UID, formula, header attribute …
  std::string note;           // e.g. "updated from a newer measurement (was 55)"
  bool accepted = false;      // the reader confirmed a filled value
};

struct Transition {
  std::string from;
  std::string to;
  std::string user;
  std::string at;  // ISO 8601 UTC
};

// Study and patient context captured when the report was created.
struct ReportContext {
  domain::Patient patient;
  std::string accession_number;
  std::string study_date;
  std::string study_time;
  std::string study_description;
  std::string referring_physician;
  std::string indication;
};

struct Report {
  std::string id;
  std::string study_instance_uid;
  std::string template_id;
  std::string status = domain::kReportDraft;
  std::string created_at;
  std::string created_by;
  ReportContext context;
  std::map<std::string, FieldState> fields;  // by field id; absent = never filled
  std::string findings;       // as edited by the reader; empty = generated from the sentence rules
  bool findings_edited = false;
  std::string impression;
  std::vector<Transition> history;
  int version = 0;  // signed versions so far
  std::optional<domain::ReportSignature> signature;  // of the original final
  std::vector<domain::ReportAddendum> addenda;
};

std::string SerializeReport(const Report& report);
// kInternal when `body` is not a serialised report (a damaged row).
Result<Report> ParseReport(const std::string& body);

}  // namespace systole::services
