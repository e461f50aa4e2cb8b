// A signed report with an addendum and number, coded-choice and text values:
// the fixture of the FHIR report mapping tests (fhir_routes_test, and
// fhir_report_dump whose output the integration tests check against the R4 schema).
#pragma once

#include "domain/report.h"

namespace systole::fhir {

inline domain::ReportDocument SampleReport() {
  domain::ReportDocument r;
  r.report_id = "rep-1";
  r.status = domain::kReportAddendum;
  r.template_id = "tte";
  r.template_title = "Transthoracic echocardiogram";
  r.patient = {{"P1", ""}, "DOE^P1", "19600101", "M"};
  r.study_instance_uid = "1.2.3.1";
  r.accession_number = "ACC1";
  r.study_date = "20240301";
  r.impression = "Normal LV function.";
  r.signature = {"jsmith", "Dr Jane Smith", "2024-03-01T10:00:00Z", "ab"};
  r.addenda.push_back({"Corrected TAPSE.", {"jsmith", "Dr Jane Smith", "2024-03-02T10:00:00Z", "cd"}});
  domain::ReportValue ef{"lv.ef", "LV ejection fraction", {"10230-1", "LN", "LVEF"}, "number", "48", {}, "%",
                         "52-72", "L", domain::kSourceDevice, ""};
  domain::ReportValue rhythm{"rhythm", "Rhythm", {}, "text", "sinus", {}, "", "", "", domain::kSourceTyped, ""};
  domain::ReportValue mr{"mv.regurgitation", "Mitral regurgitation", {"48724000", "SCT", "Mitral valve regurgitation"},
                         "choice", "mild", {"255604002", "SCT", "Mild"}, "", "", "", domain::kSourceTyped, ""};
  domain::ReportValue rate{"hr", "Heart rate", {"8867-4", "LN", "Heart rate"}, "number", "112", {}, "/min",
                           "<100", "H", domain::kSourceMetadata, ""};
  r.sections.push_back({"lv", "Left ventricle", {ef, rhythm}});
  r.sections.push_back({"mv", "Mitral valve", {mr, rate}});
  return r;
}

}  // namespace systole::fhir
