// Mapping of Systole's records to FHIR R4 resources (JSON). Pure functions:
// no I/O; the caller has gathered the rows. `base` is the server's FHIR base
// URL ("http://host:port/fhir"); absolute links to DICOMweb and the report
// PDF are made from it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/identity.h"
#include "domain/query.h"
#include "domain/report.h"

namespace systole::fhir {

using nlohmann::json;

inline constexpr std::string_view kEndpointId = "dicomweb";

json PatientResource(const domain::Patient& patient);

struct StudyRows {
  domain::QueryRow study;
  struct Series {
    domain::QueryRow series;
    std::vector<domain::QueryRow> instances;
  };
  std::vector<Series> series;
};
// `order_id`: logical id of the ServiceRequest the study was based on ("" = none).
json ImagingStudyResource(const StudyRows& rows, std::string_view order_id);

// FHIR request status of a scheduled step status (SCHEDULED -> active, ...).
std::string RequestStatus(std::string_view step_status);
json ServiceRequestResource(const domain::ScheduledStep& step);

// "final" or "amended" (an addendum was signed).
std::string ReportStatus(const domain::ReportDocument& report);
// `study_known`: the ImagingStudy exists here (so the reference resolves); `order_id` as above.
json DiagnosticReportResource(const domain::ReportDocument& report, std::string_view base, bool study_known,
                              std::string_view order_id);
std::vector<json> ObservationResources(const domain::ReportDocument& report);

json EndpointResource(std::string_view base);

// {"resourceType":"OperationOutcome", ...} with one issue.
json OperationOutcome(std::string_view severity, std::string_view code, std::string_view diagnostics);

// FHIR date (YYYY-MM-DD) of a DICOM DA; "" when malformed.
std::string FhirDate(std::string_view dicom_date);

}  // namespace systole::fhir
