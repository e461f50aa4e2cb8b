#include "protocols/fhir/internal/ids.h"

#include <cctype>

#include <fmt/format.h>

namespace systole::fhir {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

constexpr std::string_view kIssuerPrefix = "urn:systole:issuer:";

}  // namespace

std::string EscapeId(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (IsAlnum(c)) out += c;
    else out += fmt::format("-{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

std::optional<std::string> UnescapeId(std::string_view id) {
  std::string out;
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (IsAlnum(id[i])) {
      out += id[i];
      continue;
    }
    if (id[i] != '-' || i + 2 >= id.size()) return std::nullopt;
    const int high = HexValue(id[i + 1]), low = HexValue(id[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::string PatientLogicalId(const domain::PatientIdentity& identity) {
  std::string id = EscapeId(identity.id);
  if (!identity.issuer.empty()) id += "." + EscapeId(identity.issuer);
  return id;
}

std::optional<domain::PatientIdentity> ParsePatientLogicalId(std::string_view id) {
  const auto dot = id.find('.');
  auto patient = UnescapeId(id.substr(0, dot));
  if (!patient || patient->empty()) return std::nullopt;
  domain::PatientIdentity out{*patient, ""};
  if (dot != std::string_view::npos) {
    auto issuer = UnescapeId(id.substr(dot + 1));
    if (!issuer || issuer->empty()) return std::nullopt;
    out.issuer = *issuer;
  }
  return out;
}

std::string ObservationLogicalId(std::string_view report_id, std::string_view field_id) {
  return EscapeId(report_id) + "." + EscapeId(field_id);
}

std::optional<std::pair<std::string, std::string>> ParseObservationLogicalId(std::string_view id) {
  const auto dot = id.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto report = UnescapeId(id.substr(0, dot));
  auto field = UnescapeId(id.substr(dot + 1));
  if (!report || !field || report->empty() || field->empty()) return std::nullopt;
  return std::pair{*report, *field};
}

bool IsOid(std::string_view text) {
  // Arcs of digits without leading zeros, separated by single dots, first arc 0-2.
  if (text.size() < 3 || text[0] < '0' || text[0] > '2' || text[1] != '.') return false;
  std::size_t arc_start = 2;
  for (std::size_t i = 2; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      const std::size_t length = i - arc_start;
      if (length == 0 || (length > 1 && text[arc_start] == '0')) return false;
      arc_start = i + 1;
    } else if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

std::string IssuerSystem(std::string_view issuer) {
  if (issuer.empty()) return "";
  if (IsOid(issuer)) return "urn:oid:" + std::string(issuer);
  if (issuer.starts_with("urn:") || issuer.starts_with("http://") || issuer.starts_with("https://"))
    return std::string(issuer);
  std::string out(kIssuerPrefix);
  for (char c : issuer) {
    if (IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += c;
    else out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

std::string IssuerFromSystem(std::string_view system) {
  if (system.starts_with("urn:oid:") && IsOid(system.substr(8))) return std::string(system.substr(8));
  if (!system.starts_with(kIssuerPrefix)) return std::string(system);
  std::string out;
  const auto rest = system.substr(kIssuerPrefix.size());
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() && HexValue(rest[i + 1]) >= 0 && HexValue(rest[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(rest[i + 1]) * 16 + HexValue(rest[i + 2]));
      i += 2;
    } else {
      out += rest[i];
    }
  }
  return out;
}

std::string CodeSystemOf(std::string_view scheme) {
  if (scheme.empty()) return "";
  if (scheme == "LN") return "http://loinc.org";
  if (scheme == "SCT" || scheme == "SRT") return "http://snomed.info/sct";
  if (scheme == "DCM") return "http://dicom.nema.org/resources/ontology/DCM";
  if (scheme == "UCUM") return "http://unitsofmeasure.org";
  return "urn:systole:scheme:" + EscapeId(scheme);
}

}  // namespace systole::fhir
