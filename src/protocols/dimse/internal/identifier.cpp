#include "protocols/dimse/internal/identifier.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include "base/log.h"

namespace systole::protocols::dimse {
namespace {

using domain::Attribute;
using domain::Level;

std::string Trim(const OFString& value) {
  std::string s(value.c_str(), value.length());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  std::size_t start = s.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : s.substr(start);
}

std::optional<Level> ParseLevel(const std::string& text) {
  if (text == "PATIENT") return Level::kPatient;
  if (text == "STUDY") return Level::kStudy;
  if (text == "SERIES") return Level::kSeries;
  if (text == "IMAGE") return Level::kInstance;
  return std::nullopt;
}

std::uint32_t TagValue(const DcmTagKey& key) {
  return (static_cast<std::uint32_t>(key.getGroup()) << 16) | key.getElement();
}

}  // namespace

Result<ParsedIdentifier> ParseIdentifier(DcmDataset& identifier, bool patient_root) {
  if (identifier.tagExists(DCM_SpecificCharacterSet)) {
    if (identifier.convertToUTF8().bad())
      return Fail(ErrorCode::kInvalidArgument, "identifier character set not supported");
  }
  OFString level_text;
  identifier.findAndGetOFString(DCM_QueryRetrieveLevel, level_text);
  auto level = ParseLevel(Trim(level_text));
  if (!level) return Fail(ErrorCode::kInvalidArgument, "missing or unknown QueryRetrieveLevel '" + Trim(level_text) + "'");
  if (*level == Level::kPatient && !patient_root)
    return Fail(ErrorCode::kInvalidArgument, "PATIENT level is not part of the Study Root model");

  ParsedIdentifier parsed;
  parsed.query.level = *level;
  for (unsigned long i = 0; i < identifier.card(); ++i) {
    DcmElement* element = identifier.getElement(i);
    const DcmTagKey key = element->getTag().getXTag();
    if (key == DCM_QueryRetrieveLevel || key == DCM_SpecificCharacterSet || key.getGroup() == 0x0002) continue;
    parsed.return_keys.push_back(key);
    auto attribute = domain::FindAttributeByTag(TagValue(key));
    if (!attribute || element->ident() == EVR_SQ) continue;
    OFString raw;
    element->getOFStringArray(raw);
    const std::string value = Trim(raw);
    if (value.empty()) continue;
    if (static_cast<int>(domain::Info(*attribute).level) > static_cast<int>(*level)) {
      LOG_DEBUG("dimse", "ignoring matching key {} below the {} level", domain::Info(*attribute).keyword,
                domain::LevelName(*level));
      continue;
    }
    auto matcher = domain::ParseMatcher(*attribute, value);
    if (!matcher) return std::unexpected(matcher.error());
    parsed.query.conditions.push_back({*attribute, std::move(*matcher)});
  }
  return parsed;
}

DcmDataset* BuildFindResponse(const ParsedIdentifier& parsed, const domain::QueryRow& row, const std::string& our_ae) {
  auto* out = new DcmDataset;
  out->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
  out->putAndInsertString(DCM_QueryRetrieveLevel, domain::LevelName(parsed.query.level));
  for (const DcmTagKey& key : parsed.return_keys) {
    auto attribute = domain::FindAttributeByTag(TagValue(key));
    if (attribute && static_cast<int>(domain::Info(*attribute).level) <= static_cast<int>(parsed.query.level)) {
      const std::string& value = row[static_cast<std::size_t>(*attribute)];
      out->putAndInsertOFStringArray(key, OFString(value.c_str()));
    } else if (key == DCM_RetrieveAETitle) {
      out->putAndInsertString(key, our_ae.c_str());
    } else if (key == DCM_InstanceAvailability) {
      out->putAndInsertString(key, "ONLINE");
    } else {
      out->insertEmptyElement(key);
    }
  }
  return out;
}

}  // namespace systole::protocols::dimse
