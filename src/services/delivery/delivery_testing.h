// Test helpers for report delivery: a realistic signed transthoracic echo
// report for every output (PDF, SR, Encapsulated PDF, ORU) — LVEF 55 % (LOINC
// 18043-0), LVIDd, IVSd, E/e' flagged H, narrative, impression, one addendum
// (version 2) — and RunCommand for checking outputs with real tools
// (pdftotext, dciodvfy, python3-hl7).
#pragma once

#include <cstdio>
#include <string>

#include "domain/report.h"

namespace systole::services::testing {

inline domain::ReportDocument SampleTteReport() {
  domain::ReportDocument d;
  d.report_id = "RPT-2026-0042";
  d.version = 2;
  d.status = domain::kReportAddendum;
  d.template_id = "tte";
  d.template_title = "Transthoracic echocardiogram";
  d.institution = "Hôpital Cœur-Saint-Jean";
  d.patient = {{"PAT-1001", "HOSP-A"}, "Müller^Jürgen^A", "19560412", "M"};
  d.study_instance_uid = "1.2.826.0.1.3680043.8.498.1001";
  d.accession_number = "ACC-77881";
  d.study_date = "20261122";
  d.study_time = "093015";
  d.study_description = "Echo TTE complete";
  d.referring_physician = "Dubois^Marie";
  d.indication = "Dyspnoea on exertion; rule out diastolic dysfunction.";
  domain::ReportSection lv{"lv", "Left ventricle", {}};
  lv.values.push_back({"lv.ef", "LV ejection fraction (biplane)", {"18043-0", "LN", "Left ventricular Ejection fraction"},
                       "number", "55", {}, "%", "52-72", "", domain::kSourceDevice, "1.2.3.4.5"});
  lv.values.push_back({"lv.lvidd", "LV internal diameter, diastole", {"29436-3", "LN", "Left ventricular Internal diastolic dimension"},
                       "number", "48", {}, "mm", "42-58", "", domain::kSourceViewer, ""});
  lv.values.push_back({"lv.ivsd", "Interventricular septum, diastole", {"18154-5", "LN", "Interventricular septum diastolic thickness"},
                       "number", "10", {}, "mm", "6-10", "", domain::kSourceDevice, ""});
  domain::ReportSection diastolic{"diastolic", "Diastolic function", {}};
  diastolic.values.push_back({"dia.e_e_prime", "E/e' average", {"59111-5", "LN", "Mitral valve E/e' average"},
                              "number", "15.2", {}, "1", "<14", "H", domain::kSourceDerived, "E / mean(e' septal, e' lateral)"});
  diastolic.values.push_back({"dia.grade", "Diastolic dysfunction grade", {}, "choice", "Grade II", {}, "", "", "",
                              domain::kSourceTyped, ""});
  d.sections = {lv, diastolic};
  d.findings =
      "Normal left ventricular size with normal systolic function, LVEF 55 %. Elevated filling pressures "
      "(average E/e' 15.2). No regional wall motion abnormality. Valves without significant disease.";
  d.impression = "Preserved LV systolic function. Diastolic dysfunction grade II with raised filling pressures.";
  d.signature = {"jsmith", "Dr Jane Smith", "2026-11-22T10:15:00Z",
                 "9f2b5c1e0d7a4b3c8e6f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"};
  d.addenda.push_back({"Comparison with the 2025 study: E/e' was 11, so filling pressures have risen.",
                       {"jsmith", "Dr Jane Smith", "2026-11-22T14:40:00Z",
                        "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"}});
  d.created_at = "2026-11-22T09:50:00Z";
  return d;
}

// The standard output of `command` run by the shell ("" when it cannot start).
inline std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  pclose(pipe);
  return out;
}

}  // namespace systole::services::testing
