// BuildOru: a signed report version as an HL7 v2.5.1 ORU^R01 (IHE SWF/RAD
// result reporting):
//   MSH  MSH-4 = the institution, MSH-18 UNICODE UTF-8
//   PID  PID-3 id^^^issuer^MR, PID-5 name, PID-7 birth date, PID-8 sex
//   ORC  RE, ORC-2/ORC-3 = accession number
//   OBR  OBR-2/3 and OBR-18 = accession, OBR-4 = the template (universal
//        service id), OBR-7 = study date/time, OBR-22 = signing time, OBR-25
//        = F (final) or C (addendum), OBR-32 = principal result interpreter
//   OBX  one per value: NM (numbers; OBX-3 LOINC code^text^LN, OBX-6 UCUM,
//        OBX-7 range, OBX-8 flag), CWE (coded choices), ST (text values);
//        then TX for indication, findings, impression and each addendum. OBX-11 F.
// Every value is escaped with the codec's Escape.
#pragma once

#include <string>

#include "domain/report.h"

namespace systole::hl7 {

struct OruHeader {
  std::string sending_application = "SYSTOLE";
  std::string receiving_application;
  std::string receiving_facility;
  std::string control_id;  // MSH-10: stable across retries of one delivery
  std::string timestamp;   // MSH-7, YYYYMMDDHHMMSS
};

// The message in ER7, segments ended by CR (no MLLP framing).
std::string BuildOru(const domain::ReportDocument& document, const OruHeader& header);

}  // namespace systole::hl7
