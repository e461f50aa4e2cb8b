// FHIR R4 REST (JSON, read-only) at /fhir and the EHR launch URL at /launch.
//
//   GET /fhir/metadata                 CapabilityStatement (types, interactions, search parameters)
//   GET /fhir/{type}?{params}          search → Bundle searchset (total, links self/next/previous)
//   GET /fhir/{type}/{id}              read → the resource, or 404 OperationOutcome
//   types: Patient, ImagingStudy, ServiceRequest, Endpoint; DiagnosticReport and
//   Observation when a report catalog is wired. Logical ids: protocols/fhir/internal/ids.h.
//   Unknown parameters are ignored and reported (an OperationOutcome entry in the
//   Bundle, left out of the self link), or 400 with "Prefer: handling=strict".
//
//   GET /launch?patient={id}&issuer={issuer}[&accession={acc}]
//       (or patient.identifier={system}|{id}) — the EHR opens Systole in a
//       patient's context: 302 to /viewer/{StudyInstanceUID} for one study,
//       302 to /studies?patientId=…&issuer=… for several; a page with 404
//       (unknown patient, accession or no studies) or 409 (ambiguous patient,
//       accession of another patient) otherwise — never another patient's images.
//
// The handlers only read; they take the ports and services by reference (they
// must outlive the router). `reports` may be null (no reporting wired).
#pragma once

#include "ports/identity_index.h"
#include "ports/patient_directory.h"
#include "ports/report_catalog.h"
#include "protocols/http/router.h"
#include "services/query/query_service.h"

namespace systole::fhir {

struct Context {
  services::QueryService& query;
  ports::PatientDirectory& patients;
  ports::OrderBook& orders;
  ports::ReportCatalog* reports = nullptr;
};

void AddRoutes(http::Router& router, const Context& context);
void AddLaunchRoutes(http::Router& router, const Context& context);

}  // namespace systole::fhir
