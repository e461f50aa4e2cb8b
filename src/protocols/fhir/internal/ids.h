// Logical ids and identifier systems of Systole's FHIR resources.
//
// Logical ids (stable: derived from keys, never from row numbers):
//   ImagingStudy/{StudyInstanceUID}
//   Patient/{Escape(PatientID)}                 patient without an issuer
//   Patient/{Escape(PatientID)}.{Escape(Issuer)} with IssuerOfPatientID
//   ServiceRequest/{Escape(AccessionNumber)}     one per order (accession)
//   DiagnosticReport/{Escape(report_id)}
//   Observation/{Escape(report_id)}.{Escape(field_id)}
//   Endpoint/dicomweb
// Escape keeps [A-Za-z0-9] and writes every other byte as "-HH" (hex), so "."
// only ever separates parts and an id decodes back to its keys.
//
// Patient identifier systems (Identifier.system <-> IssuerOfPatientID):
//   issuer that is an OID ("1.2.3")          -> "urn:oid:1.2.3"
//   issuer that is a URI (urn:, http(s):)    -> the issuer itself
//   any other issuer ("HOSP")                -> "urn:systole:issuer:HOSP" (percent-encoded)
//   no issuer                                 -> no system
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/identity.h"

namespace systole::fhir {

std::string EscapeId(std::string_view key);
std::optional<std::string> UnescapeId(std::string_view id);  // nullopt if malformed

std::string PatientLogicalId(const domain::PatientIdentity& identity);
std::optional<domain::PatientIdentity> ParsePatientLogicalId(std::string_view id);

// Observation/{report}.{field}: nullopt if malformed.
std::string ObservationLogicalId(std::string_view report_id, std::string_view field_id);
std::optional<std::pair<std::string, std::string>> ParseObservationLogicalId(std::string_view id);

bool IsOid(std::string_view text);
std::string IssuerSystem(std::string_view issuer);      // "" when the issuer is empty
std::string IssuerFromSystem(std::string_view system);  // inverse of IssuerSystem

// FHIR code systems of DICOM coding scheme designators (LN, SCT, DCM, UCUM);
// "urn:systole:scheme:<designator>" for the others, "" for none.
std::string CodeSystemOf(std::string_view scheme);

}  // namespace systole::fhir
