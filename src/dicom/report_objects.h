// The DICOM objects a signed report version is stored back into its study as:
// a Comprehensive SR (values as coded NUM items with UCUM units, texts as
// TEXT items, COMPLETE + VERIFIED with one Verifying Observer per signature,
// Predecessor Documents = the previous version's SR) and an Encapsulated PDF.
// Same patient and study as the report, each kind in its own new series.
//
// UIDs are derived from the report id and version (2.25.<128-bit hash>), so
// writing the same version twice yields the same instances (a retried
// delivery is a duplicate, not a second copy).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "domain/report.h"

namespace systole::dicom {

inline constexpr const char* kComprehensiveSrClass = "1.2.840.10008.5.1.4.1.1.88.33";
inline constexpr const char* kEncapsulatedPdfClass = "1.2.840.10008.5.1.4.1.1.104.1";

struct ReportObjectUids {
  std::string sr_series;
  std::string sr_instance;
  std::string pdf_series;
  std::string pdf_instance;
  std::string previous_sr_instance;  // the SR of version - 1; empty for version 1
};

ReportObjectUids ReportUids(const domain::ReportDocument& document);

// Writes the SR as a Part 10 file at `out`. kInvalidArgument when the
// document cannot be expressed (e.g. no study UID); kUnavailable on I/O errors.
Status WriteReportSr(const domain::ReportDocument& document, const std::filesystem::path& out);

// Writes `pdf` as an Encapsulated PDF Part 10 file at `out`.
Status WriteEncapsulatedPdf(const domain::ReportDocument& document, std::string_view pdf,
                            const std::filesystem::path& out);

}  // namespace systole::dicom
