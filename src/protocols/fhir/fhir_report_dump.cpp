// Prints the DiagnosticReport and Observations Systole makes of the sample
// report (internal/sample_report.h) as a JSON array, for the integration test
// that checks them against the FHIR R4 schema (test_fhir_report_structure.py):
// reports reach /fhir only once a ReportCatalog is wired.
#include <iostream>

#include "protocols/fhir/internal/resources.h"
#include "protocols/fhir/internal/sample_report.h"

int main() {
  using namespace systole::fhir;
  const auto report = SampleReport();
  json out = json::array({DiagnosticReportResource(report, "http://localhost/fhir", true, "ACC1")});
  for (auto& observation : ObservationResources(report)) out.push_back(std::move(observation));
  std::cout << out.dump(1) << "\n";
  return 0;
}
