#include "dicom/dicom_json.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmdata/dctag.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace systole::dicom {
namespace {

constexpr Uint32 kInlineLimit = 1024;

std::string Base64(const Uint8* data, std::size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const std::uint32_t n = (static_cast<std::uint32_t>(data[i]) << 16) |
                            (i + 1 < size ? static_cast<std::uint32_t>(data[i + 1]) << 8 : 0) |
                            (i + 2 < size ? data[i + 2] : 0);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < size ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < size ? kAlphabet[n & 63] : '=');
  }
  return out;
}

bool IsBinaryVr(DcmEVR vr) {
  return vr == EVR_OB || vr == EVR_OW || vr == EVR_OF || vr == EVR_OD || vr == EVR_OL || vr == EVR_OV ||
         vr == EVR_UN || vr == EVR_ox || vr == EVR_px || vr == EVR_pixelSQ;
}

bool IsNumberVr(DcmEVR vr) {
  return vr == EVR_IS || vr == EVR_DS || vr == EVR_US || vr == EVR_UL || vr == EVR_SS || vr == EVR_SL ||
         vr == EVR_FL || vr == EVR_FD || vr == EVR_SV || vr == EVR_UV || vr == EVR_xs || vr == EVR_lt;
}

std::string TagKey(const DcmTagKey& tag) { return fmt::format("{:04X}{:04X}", tag.getGroup(), tag.getElement()); }

nlohmann::json ItemJson(DcmItem& item, const std::string* bulk_prefix);

// The VR to publish: DCMTK keeps internal pseudo-VRs for pixel and overlay data.
std::string PublicVr(DcmElement& element) {
  const DcmTagKey tag = element.getTag().getXTag();
  const DcmEVR evr = element.getVR();
  if (tag == DCM_PixelData) {
    if (element.getLengthField() == DCM_UndefinedLength) return "OB";
    return evr == EVR_OB ? "OB" : "OW";
  }
  if (tag.getGroup() >= 0x6000 && tag.getGroup() <= 0x60FF && tag.getElement() == 0x3000) return evr == EVR_OB ? "OB" : "OW";
  DcmVR vr(evr);
  return DcmVR(vr.getValidEVR()).getValidVRName();
}

nlohmann::json PersonName(std::string_view value) {
  nlohmann::json name = nlohmann::json::object();
  const char* groups[] = {"Alphabetic", "Ideographic", "Phonetic"};
  std::size_t start = 0;
  for (int g = 0; g < 3; ++g) {
    std::size_t end = value.find('=', start);
    std::string part(value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (!part.empty()) name[groups[g]] = part;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return name;
}

nlohmann::json ElementJson(DcmElement& element, const std::string* bulk_prefix) {
  const DcmTagKey tag = element.getTag().getXTag();
  const std::string vr = PublicVr(element);
  const DcmEVR evr = DcmVR(vr.c_str()).getEVR();
  nlohmann::json out = {{"vr", vr}};
  if (evr == EVR_SQ) {
    auto& sequence = static_cast<DcmSequenceOfItems&>(element);
    nlohmann::json items = nlohmann::json::array();
    for (unsigned long i = 0; i < sequence.card(); ++i) items.push_back(ItemJson(*sequence.getItem(i), nullptr));
    if (!items.empty()) out["Value"] = std::move(items);
    return out;
  }
  if (IsBinaryVr(evr) || tag == DCM_PixelData) {
    const Uint32 length = element.getLengthField();
    if (bulk_prefix && (tag == DCM_PixelData || length > kInlineLimit || length == DCM_UndefinedLength)) {
      out["BulkDataURI"] = *bulk_prefix + "/" + TagKey(tag);
    } else if (length > 0 && length != DCM_UndefinedLength) {
      // Raw value bytes in little endian, whatever the VR's word size.
      std::string bytes(length, '\0');
      if (element.getPartialValue(bytes.data(), 0, length, nullptr, EBO_LittleEndian).good())
        out["InlineBinary"] = Base64(reinterpret_cast<const Uint8*>(bytes.data()), bytes.size());
    }
    return out;
  }
  if (element.getVM() == 0 || element.getLength() == 0) return out;
  nlohmann::json values = nlohmann::json::array();
  for (unsigned long i = 0; i < element.getVM(); ++i) {
    OFString text;
    if (element.getOFString(text, i, OFTrue).bad()) continue;
    std::string value(text.c_str(), text.length());
    if (evr == EVR_PN) {
      values.push_back(value.empty() ? nlohmann::json(nullptr) : PersonName(value));
    } else if (IsNumberVr(evr)) {
      try {
        Float64 binary = 0;
        if (evr == EVR_FD && element.getFloat64(binary, i).good()) {
          values.push_back(binary);  // the binary value itself: its text form would round it
        } else if (evr == EVR_DS || evr == EVR_FL || evr == EVR_FD) values.push_back(std::stod(value));
        else values.push_back(std::stoll(value));
      } catch (...) {
        values.push_back(nullptr);
      }
    } else if (evr == EVR_AT) {
      std::string hex;
      for (char c : value) if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(static_cast<char>(std::toupper(c)));
      values.push_back(hex);
    } else {
      values.push_back(value.empty() ? nlohmann::json(nullptr) : nlohmann::json(value));
    }
  }
  if (!values.empty()) out["Value"] = std::move(values);
  return out;
}

nlohmann::json ItemJson(DcmItem& item, const std::string* bulk_prefix) {
  nlohmann::json out = nlohmann::json::object();
  for (unsigned long i = 0; i < item.card(); ++i) {
    DcmElement* element = item.getElement(i);
    const DcmTagKey tag = element->getTag().getXTag();
    if (tag.getElement() == 0x0000) continue;  // group lengths are not part of the model
    out[TagKey(tag)] = ElementJson(*element, bulk_prefix);
  }
  return out;
}

}  // namespace

std::string PersonNameJson(std::string_view name) {
  return PersonName(name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::uint32_t> TagFromKeywordOrHex(std::string_view text) {
  if (text.size() == 8 && text.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos)
    return static_cast<std::uint32_t>(std::stoul(std::string(text), nullptr, 16));
  DcmTag tag;
  if (DcmTag::findTagFromName(std::string(text).c_str(), tag).bad()) return std::nullopt;
  return (static_cast<std::uint32_t>(tag.getGroup()) << 16) | tag.getElement();
}

std::string VrOfTag(std::uint32_t tag) {
  DcmTag dcm_tag(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
  return dcm_tag.getVR().getValidVRName();
}

Result<std::string> InstanceJson(const std::filesystem::path& file, const std::string& bulk_uri_prefix) {
  DcmFileFormat format;
  OFCondition cond = format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, kInlineLimit, ERM_autoDetect);
  if (cond.bad()) return Fail(ErrorCode::kInvalidArgument, std::string("cannot read stored instance: ") + cond.text());
  DcmDataset& dataset = *format.getDataset();
  if (dataset.tagExists(DCM_SpecificCharacterSet) && dataset.convertToUTF8().good())
    dataset.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
  nlohmann::json json = ItemJson(dataset, &bulk_uri_prefix);
  OFString syntax;
  if (format.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, syntax).good())
    json["00083002"] = {{"vr", "UI"}, {"Value", {syntax.c_str()}}};
  // Text that is not valid UTF-8 (an unconvertible character set) is replaced, never an error.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::string> ElementValue(const std::filesystem::path& file, std::uint32_t tag) {
  DcmFileFormat format;
  OFCondition cond = format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, kInlineLimit, ERM_autoDetect);
  if (cond.bad()) return Fail(ErrorCode::kInvalidArgument, std::string("cannot read stored instance: ") + cond.text());
  DcmElement* element = nullptr;
  const DcmTagKey key(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
  if (format.getDataset()->findAndGetElement(key, element, OFFalse).bad() || element == nullptr ||
      element->getLengthField() == DCM_UndefinedLength || !IsBinaryVr(DcmVR(PublicVr(*element).c_str()).getEVR()) ||
      element->getLengthField() <= kInlineLimit)
    return Fail(ErrorCode::kNotFound, "the instance has no bulk data at this tag (its metadata names its bulk data)");
  const Uint32 length = element->getLengthField();
  std::string bytes(length, '\0');
  if (length > 0 && element->getPartialValue(bytes.data(), 0, length, nullptr, EBO_LittleEndian).bad())
    return Fail(ErrorCode::kInvalidArgument, "cannot read the value");
  return bytes;
}

}  // namespace systole::dicom
