// RenderReportPdf: a signed report version as a printable PDF (libharu):
// institution header, patient/study block, one table per section (label,
// value and unit, normal range, flag — values outside the range marked in
// red), findings, impression, the signature (signer, time, SHA-256), each
// addendum with its signature, "Page i of n" footers; as many A4 pages as it
// takes. Text is UTF-8, set in a TrueType font that covers it.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "domain/report.h"

namespace systole::services {

struct PdfOptions {
  std::filesystem::path font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  std::filesystem::path bold_font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
};

// The PDF's bytes. kUnavailable when a font cannot be loaded; kInternal on a libharu error.
Result<std::string> RenderReportPdf(const domain::ReportDocument& document, const PdfOptions& options = {});

}  // namespace systole::services
