#include "protocols/fhir/internal/search_params.h"

#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "protocols/fhir/internal/ids.h"

namespace systole::fhir {
namespace {

bool AllDigits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::chrono::year_month_day ToDay(int y, unsigned m, unsigned d) {
  return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

std::string Dicom(std::chrono::year_month_day day) {
  return fmt::format("{:04}{:02}{:02}", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                     static_cast<unsigned>(day.day()));
}

std::chrono::year_month_day AddDays(std::chrono::year_month_day day, int days) {
  return std::chrono::year_month_day{std::chrono::sys_days{day} + std::chrono::days{days}};
}

// The first and last day the (partial) date covers.
struct Period {
  std::chrono::year_month_day first, last;
};

std::optional<Period> ParsePeriod(std::string_view text) {
  if (auto t = text.find('T'); t != std::string_view::npos) text = text.substr(0, t);
  int y = 0;
  unsigned m = 0, d = 0;
  if (text.size() < 4 || !AllDigits(text.substr(0, 4))) return std::nullopt;
  std::from_chars(text.data(), text.data() + 4, y);
  if (text.size() == 4) return Period{ToDay(y, 1, 1), ToDay(y, 12, 31)};
  if (text.size() < 7 || text[4] != '-' || !AllDigits(text.substr(5, 2))) return std::nullopt;
  std::from_chars(text.data() + 5, text.data() + 7, m);
  if (m < 1 || m > 12) return std::nullopt;
  const auto month = std::chrono::year{y} / std::chrono::month{m};
  if (text.size() == 7) return Period{ToDay(y, m, 1), std::chrono::year_month_day{month / std::chrono::last}};
  if (text.size() != 10 || text[7] != '-' || !AllDigits(text.substr(8, 2))) return std::nullopt;
  std::from_chars(text.data() + 8, text.data() + 10, d);
  const auto day = ToDay(y, m, d);
  if (!day.ok()) return std::nullopt;
  return Period{day, day};
}

}  // namespace

Token ParseToken(std::string_view value) {
  const auto bar = value.find('|');
  if (bar == std::string_view::npos) return {std::nullopt, std::string(value)};
  return {std::string(value.substr(0, bar)), std::string(value.substr(bar + 1))};
}

std::vector<std::string> SplitAlternatives(std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size() && value[i + 1] == ',') {
      current += ',';
      ++i;
    } else if (value[i] == ',') {
      out.push_back(std::move(current));
      current.clear();
    } else {
      current += value[i];
    }
  }
  out.push_back(std::move(current));
  return out;
}

bool PatientCriterion::Matches(const domain::PatientIdentity& identity) const {
  return identity.id == id && (!issuer || identity.issuer == *issuer);
}

Result<PatientCriterion> PatientFromReference(std::string_view value) {
  std::string_view id = value;
  if (auto slash = value.rfind('/'); slash != std::string_view::npos) {
    const auto type_start = value.rfind('/', slash == 0 ? 0 : slash - 1);
    const auto type = value.substr(type_start == std::string_view::npos ? 0 : type_start + 1,
                                   slash - (type_start == std::string_view::npos ? 0 : type_start + 1));
    if (type != "Patient")
      return Fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a reference to a Patient", value));
    id = value.substr(slash + 1);
  }
  auto identity = ParsePatientLogicalId(id);
  if (!identity) return Fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a Patient id of this server", id));
  return PatientCriterion{identity->id, identity->issuer};
}

Result<PatientCriterion> PatientFromIdentifier(std::string_view value) {
  Token token = ParseToken(value);
  if (token.code.empty())
    return Fail(ErrorCode::kInvalidArgument, fmt::format("patient identifier '{}' has no value", value));
  PatientCriterion out{token.code, std::nullopt};
  if (token.system) out.issuer = IssuerFromSystem(*token.system);
  return out;
}

bool DateRange::Contains(std::string_view dicom_date) const {
  if (!bounded()) return true;
  if (dicom_date.size() < 8) return false;
  const auto day = dicom_date.substr(0, 8);
  return (low.empty() || day >= low) && (high.empty() || day <= high);
}

Status ApplyDateParam(std::string_view value, DateRange& range) {
  std::string_view prefix = "eq";
  if (value.size() >= 2 && std::isalpha(static_cast<unsigned char>(value[0]))) {
    prefix = value.substr(0, 2);
    value.remove_prefix(2);
  }
  auto period = ParsePeriod(value);
  if (!period) return Fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a FHIR date", value));
  auto raise_low = [&](std::string low) { if (range.low.empty() || low > range.low) range.low = std::move(low); };
  auto lower_high = [&](std::string high) { if (range.high.empty() || high < range.high) range.high = std::move(high); };
  if (prefix == "eq") {
    raise_low(Dicom(period->first));
    lower_high(Dicom(period->last));
  } else if (prefix == "ge") {
    raise_low(Dicom(period->first));
  } else if (prefix == "gt") {
    raise_low(Dicom(AddDays(period->last, 1)));
  } else if (prefix == "le") {
    lower_high(Dicom(period->last));
  } else if (prefix == "lt") {
    lower_high(Dicom(AddDays(period->first, -1)));
  } else {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("date prefix '{}' is not supported (eq, ge, gt, le, lt)", prefix));
  }
  return {};
}

domain::Condition ExactCondition(domain::Attribute attribute, std::string value) {
  domain::Matcher matcher;
  matcher.kind = domain::Matcher::Kind::kSingle;
  matcher.value = std::move(value);
  return {attribute, std::move(matcher)};
}

Result<std::size_t> ParseCount(std::string_view value) {
  std::size_t count = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
  if (error != std::errc() || end != value.data() + value.size())
    return Fail(ErrorCode::kInvalidArgument, fmt::format("_count '{}' is not a number", value));
  return std::min(std::max<std::size_t>(count, 1), kMaxCount);
}

}  // namespace systole::fhir
