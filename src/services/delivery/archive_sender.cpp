#include "services/delivery/archive_sender.h"

#include <fmt/format.h>

#include "dicom/report_objects.h"

namespace systole::services {
namespace {

// Writes one object into a staged file with `write` and ingests it; "" when stored, else why not.
template <typename Write>
std::string StoreObject(IngestService& ingest, const char* what, Write&& write) {
  auto staged = ingest.Stage();
  if (!staged) return fmt::format("{}: cannot stage: {}", what, staged.error().message);
  if (auto written = write(*staged); !written) {
    ingest.Discard(*staged);
    return fmt::format("{}: {}", what, written.error().message);
  }
  auto outcome = ingest.IngestStaged(*staged, "delivery:archive");
  if (!outcome.ok()) return fmt::format("{} refused by ingest: {}", what, outcome.error ? outcome.error->message : "");
  return {};
}

}  // namespace

DeliverySender ArchiveSender(IngestService& ingest, PdfOptions pdf_options) {
  return [&ingest, pdf_options](const domain::ReportDocument& document, std::int64_t) -> SendOutcome {
    auto pdf = RenderReportPdf(document, pdf_options);
    if (!pdf) return {false, "", "PDF: " + pdf.error().message};
    std::string error = StoreObject(ingest, "SR", [&](const std::filesystem::path& path) {
      return dicom::WriteReportSr(document, path);
    });
    if (error.empty())
      error = StoreObject(ingest, "PDF", [&](const std::filesystem::path& path) {
        return dicom::WriteEncapsulatedPdf(document, *pdf, path);
      });
    if (!error.empty()) return {false, "", error};
    const auto uids = dicom::ReportUids(document);
    return {true, "", fmt::format("stored SR {} and PDF {}", uids.sr_instance, uids.pdf_instance)};
  };
}

}  // namespace systole::services
