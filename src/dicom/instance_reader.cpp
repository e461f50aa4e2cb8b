#include "dicom/instance_reader.h"

#include "dicom/frames.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>

#include "dicom/implementation.h"
#include "dicom/uid.h"

namespace systole::dicom {
namespace {

using domain::Attribute;

constexpr std::string_view kUnparseable = "not parseable as DICOM: ";
constexpr std::string_view kEmpty = "empty dataset";

// Values larger than this stay on disk while parsing (pixel data, big blobs):
// the structure is still checked, and no object-sized buffer is allocated.
constexpr Uint32 kMaxLoadedValueLength = 4096;

std::string Trimmed(const OFString& value) {
  std::string s(value.c_str(), value.length());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  std::size_t start = s.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : s.substr(start);
}

std::string ReadValue(DcmItem& item, std::uint32_t tag) {
  OFString value;
  DcmTagKey key(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
  if (item.findAndGetOFStringArray(key, value, OFFalse).bad()) return {};
  return Trimmed(value);
}

bool HasDicmMagic(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.seekg(128);
  return in.read(magic, 4) && std::memcmp(magic, "DICM", 4) == 0;
}

Status CheckIdentifyingUid(ParsedInstance& parsed, Attribute attribute) {
  const std::string& uid = parsed.values[static_cast<std::size_t>(attribute)];
  const auto keyword = std::string(domain::Info(attribute).keyword);
  if (uid.empty()) return Fail(ErrorCode::kInvalidArgument, "missing " + keyword);
  switch (CheckUid(uid)) {
    case UidCheck::kValid: return {};
    case UidCheck::kLeadingZero:
      parsed.warnings.push_back(keyword + " has a component with a leading zero: '" + uid + "'");
      return {};
    case UidCheck::kInvalid: break;
  }
  return Fail(ErrorCode::kInvalidArgument, keyword + " is not a valid UID: '" + uid + "'");
}

void AppendLittleEndian(std::string& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// One explicit-VR little-endian meta element with a short (2-byte) length.
void AppendMetaElement(std::string& out, std::uint16_t element, const char* vr, std::string value, char pad) {
  if (value.size() % 2 != 0) value.push_back(pad);
  AppendLittleEndian(out, 0x0002, 2);
  AppendLittleEndian(out, element, 2);
  out.append(vr, 2);
  if (std::strcmp(vr, "OB") == 0) {
    AppendLittleEndian(out, 0, 2);
    AppendLittleEndian(out, static_cast<std::uint32_t>(value.size()), 4);
  } else {
    AppendLittleEndian(out, static_cast<std::uint32_t>(value.size()), 2);
  }
  out += value;
}

}  // namespace

Result<ParsedInstance> ReadInstanceFile(const std::filesystem::path& path) {
  DcmFileFormat file;
  RegisterDecoders();
  OFCondition cond = file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kMaxLoadedValueLength, ERM_autoDetect);
  if (cond.bad()) return Fail(ErrorCode::kInvalidArgument, std::string(kUnparseable) + cond.text());

  DcmDataset& dataset = *file.getDataset();
  DcmMetaInfo& meta = *file.getMetaInfo();
  ParsedInstance parsed;
  parsed.has_meta_header = meta.card() > 0;
  if (dataset.card() == 0) return Fail(ErrorCode::kInvalidArgument, std::string(kEmpty));

  // Text is indexed as UTF-8. A file whose character set cannot be converted is
  // still identifiable: index the raw bytes and say so.
  if (dataset.tagExists(DCM_SpecificCharacterSet)) {
    OFCondition conv = dataset.convertToUTF8();
    if (conv.bad()) parsed.warnings.push_back(std::string("character set not converted to UTF-8: ") + conv.text());
  }

  for (const auto& info : domain::AllAttributes()) {
    if (info.derived || info.attribute == Attribute::TransferSyntaxUID) continue;
    std::string value = ReadValue(dataset, info.tag);
    // ACR-NEMA dates ("1994.11.05") are indexed in DICOM form so ranges match them.
    if (info.vr == "DA" && value.size() == 10 && value[4] == '.' && value[7] == '.')
      value = value.substr(0, 4) + value.substr(5, 2) + value.substr(8, 2);
    parsed.values[static_cast<std::size_t>(info.attribute)] = std::move(value);
  }
  std::string meta_ts = ReadValue(meta, domain::Tag(0x0002, 0x0010));
  const E_TransferSyntax original = dataset.getOriginalXfer();
  std::string detected_ts = original == EXS_Unknown ? std::string() : DcmXfer(original).getXferID();
  parsed.values[static_cast<std::size_t>(Attribute::TransferSyntaxUID)] = meta_ts.empty() ? detected_ts : meta_ts;

  if (parsed.values[static_cast<std::size_t>(Attribute::SOPClassUID)] == "1.2.840.10008.1.3.10" ||
      ReadValue(meta, domain::Tag(0x0002, 0x0002)) == "1.2.840.10008.1.3.10")
    return Fail(ErrorCode::kInvalidArgument, "a DICOMDIR (media storage directory) is not an instance");
  SYSTOLE_RETURN_IF_ERROR(CheckIdentifyingUid(parsed, Attribute::SOPClassUID));
  SYSTOLE_RETURN_IF_ERROR(CheckIdentifyingUid(parsed, Attribute::SOPInstanceUID));
  SYSTOLE_RETURN_IF_ERROR(CheckIdentifyingUid(parsed, Attribute::StudyInstanceUID));
  SYSTOLE_RETURN_IF_ERROR(CheckIdentifyingUid(parsed, Attribute::SeriesInstanceUID));
  if (parsed.values[static_cast<std::size_t>(Attribute::TransferSyntaxUID)].empty())
    return Fail(ErrorCode::kInvalidArgument, "transfer syntax unknown");

  const auto& sop_instance = parsed.values[static_cast<std::size_t>(Attribute::SOPInstanceUID)];
  const auto& sop_class = parsed.values[static_cast<std::size_t>(Attribute::SOPClassUID)];
  const auto& study = parsed.values[static_cast<std::size_t>(Attribute::StudyInstanceUID)];
  const auto& series = parsed.values[static_cast<std::size_t>(Attribute::SeriesInstanceUID)];
  if (study == series) return Fail(ErrorCode::kInvalidArgument, "inconsistent: SeriesInstanceUID equals StudyInstanceUID");
  if (sop_instance == series || sop_instance == study)
    return Fail(ErrorCode::kInvalidArgument, "inconsistent: SOPInstanceUID equals a Study or Series UID");
  if (parsed.has_meta_header) {
    std::string meta_instance = ReadValue(meta, domain::Tag(0x0002, 0x0003));
    std::string meta_class = ReadValue(meta, domain::Tag(0x0002, 0x0002));
    if (!meta_instance.empty() && meta_instance != sop_instance)
      return Fail(ErrorCode::kInvalidArgument, "inconsistent: meta header MediaStorageSOPInstanceUID '" + meta_instance +
                                                   "' differs from SOPInstanceUID '" + sop_instance + "'");
    if (!meta_class.empty() && meta_class != sop_class)
      parsed.warnings.push_back("meta header MediaStorageSOPClassUID '" + meta_class + "' differs from SOPClassUID '" +
                                sop_class + "'");
  }
  if (!dataset.tagExists(DCM_PatientID)) parsed.warnings.push_back("no PatientID");
  return parsed;
}

bool IsUnreadable(const Error& error) {
  return error.code == ErrorCode::kInvalidArgument &&
         (error.message.starts_with(kUnparseable) || error.message.starts_with(kEmpty));
}

Status WrapBareDataset(const std::filesystem::path& bare, const ParsedInstance& parsed,
                       const std::filesystem::path& out) {
  if (HasDicmMagic(bare)) return Fail(ErrorCode::kInvalidArgument, "has a DICM preamble but no meta header");
  auto get = [&](Attribute a) { return parsed.values[static_cast<std::size_t>(a)]; };
  std::string elements;
  AppendMetaElement(elements, 0x0001, "OB", std::string("\x00\x01", 2), '\0');
  AppendMetaElement(elements, 0x0002, "UI", get(Attribute::SOPClassUID), '\0');
  AppendMetaElement(elements, 0x0003, "UI", get(Attribute::SOPInstanceUID), '\0');
  AppendMetaElement(elements, 0x0010, "UI", get(Attribute::TransferSyntaxUID), '\0');
  AppendMetaElement(elements, 0x0012, "UI", kImplementationClassUid, '\0');
  AppendMetaElement(elements, 0x0013, "SH", kImplementationVersionName, ' ');
  std::string header(128, '\0');
  header += "DICM";
  AppendLittleEndian(header, 0x0002, 2);
  AppendLittleEndian(header, 0x0000, 2);
  header += "UL";
  AppendLittleEndian(header, 4, 2);
  AppendLittleEndian(header, static_cast<std::uint32_t>(elements.size()), 4);
  header += elements;

  std::ifstream in(bare, std::ios::binary);
  std::ofstream dst(out, std::ios::binary | std::ios::trunc);
  if (!in || !dst) return Fail(ErrorCode::kUnavailable, "cannot open files to wrap dataset");
  dst.write(header.data(), static_cast<std::streamsize>(header.size()));
  dst << in.rdbuf();
  dst.flush();
  if (!dst) return Fail(ErrorCode::kUnavailable, "write failed while wrapping dataset");
  return {};
}

}  // namespace systole::dicom
