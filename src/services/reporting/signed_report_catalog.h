// SignedReportCatalog: ports::ReportCatalog over the report store — the
// latest signed version of each report (final or its last addendum) as the
// domain::ReportDocument that was signed. Thread-safe (the store is).
#pragma once

#include "ports/report_catalog.h"
#include "ports/report_store.h"

namespace systole::services {

class SignedReportCatalog final : public ports::ReportCatalog {
 public:
  explicit SignedReportCatalog(ports::ReportStore& store) : store_(store) {}
  Result<std::vector<domain::ReportDocument>> SignedReports(const ports::ReportFilter& filter) override;

 private:
  ports::ReportStore& store_;
};

}  // namespace systole::services
