// The stored form of a domain::ReportDocument in a delivery job: JSON with
// the member names of report.h. Round-trips every field.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "domain/report.h"

namespace systole::services {

std::string ReportToJson(const domain::ReportDocument& document);
// kInvalidArgument when `text` is not such a document.
Result<domain::ReportDocument> ReportFromJson(std::string_view text);

}  // namespace systole::services
