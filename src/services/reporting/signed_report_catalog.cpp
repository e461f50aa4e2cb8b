#include "services/reporting/signed_report_catalog.h"

#include "services/reporting/document_json.h"

namespace systole::services {

Result<std::vector<domain::ReportDocument>> SignedReportCatalog::SignedReports(const ports::ReportFilter& filter) {
  auto versions = store_.LatestSigned(filter);
  if (!versions) return std::unexpected(versions.error());
  std::vector<domain::ReportDocument> out;
  for (const auto& v : *versions) {
    auto document = ParseDocument(v.document);
    if (!document) return std::unexpected(Error{ErrorCode::kUnavailable, document.error().message});
    out.push_back(std::move(*document));
  }
  return out;
}

}  // namespace systole::services
