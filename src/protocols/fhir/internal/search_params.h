// Parsing of FHIR search parameter values (R4 §3.1.1.5 "search"): tokens
// (system|code), references (Patient/{id}), dates with prefixes, paging.
// Errors are kInvalidArgument with a message naming the parameter and value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "domain/identity.h"
#include "domain/query.h"

namespace systole::fhir {

// "system|code", "|code" (no system), "code" (any system).
struct Token {
  std::optional<std::string> system;  // nullopt = any; "" = none
  std::string code;
};
Token ParseToken(std::string_view value);

// Comma-separated alternatives of one parameter value (OR).
std::vector<std::string> SplitAlternatives(std::string_view value);

// A patient as a search names it: by logical id (patient=Patient/x, subject=x)
// or by business identifier (patient.identifier=system|value).
struct PatientCriterion {
  std::string id;
  std::optional<std::string> issuer;  // nullopt = any issuer
  bool Matches(const domain::PatientIdentity& identity) const;
};
// From a reference ("Patient/{id}", "{id}" or an absolute URL ending so).
// kInvalidArgument for another resource type or a malformed id.
Result<PatientCriterion> PatientFromReference(std::string_view value);
// From a token (patient.identifier=system|value); system mapped by IssuerFromSystem.
Result<PatientCriterion> PatientFromIdentifier(std::string_view value);

// Inclusive range of DICOM dates (YYYYMMDD); an empty bound is open.
struct DateRange {
  std::string low, high;
  bool Contains(std::string_view dicom_date) const;  // false for an empty date once bounded
  bool bounded() const { return !low.empty() || !high.empty(); }
  std::string DicomRange() const { return low + "-" + high; }  // for domain::ParseMatcher
};
// Narrows `range` by one date parameter: [eq|ge|gt|le|lt]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]].
// A time part is truncated to the day. ne/sa/eb/ap and malformed dates: kInvalidArgument.
Status ApplyDateParam(std::string_view value, DateRange& range);

// A single-value (exact) match of `attribute`, for index queries.
domain::Condition ExactCondition(domain::Attribute attribute, std::string value);

// _count: 1..kMaxCount (larger values are clamped); kInvalidArgument if not a number.
inline constexpr std::size_t kDefaultCount = 20;
inline constexpr std::size_t kMaxCount = 100;
Result<std::size_t> ParseCount(std::string_view value);

}  // namespace systole::fhir
