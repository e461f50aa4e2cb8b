// ReportCatalog: the signed reports (the latest signed version of each:
// final, or its last addendum) as outputs read them — FHIR DiagnosticReport /
// Observation, EHR launch, delivery resend. The reporting service implements
// it over its store; drafts and preliminary reports are never listed.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/report.h"

namespace systole::ports {

// Every non-empty member must match (exact); all empty = every signed report.
struct ReportFilter {
  std::string report_id;
  std::string patient_id;
  std::string patient_issuer;  // with patient_id; empty = any issuer
  std::string study_instance_uid;
  std::string accession_number;
};

class ReportCatalog {
 public:
  virtual ~ReportCatalog() = default;
  // Latest signed version of each matching report, newest signature first.
  // kUnavailable on storage errors.
  virtual Result<std::vector<domain::ReportDocument>> SignedReports(const ReportFilter& filter) = 0;
};

}  // namespace systole::ports
