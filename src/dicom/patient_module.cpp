#include "dicom/patient_module.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/log.h"

namespace systole::dicom {
namespace {

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

Status ApplyPatient(DcmItem& dataset, const domain::Patient& patient) {
  const bool ascii = IsAscii(patient.name) && IsAscii(patient.identity.id) && IsAscii(patient.identity.issuer);
  if (!ascii) {
    OFString charset;
    dataset.findAndGetOFStringArray(DCM_SpecificCharacterSet, charset);
    if (charset != "ISO_IR 192") {
      if (dataset.convertToUTF8().bad())
        LOG_WARN("dicom", "cannot convert the dataset to UTF-8; the corrected patient module is sent as UTF-8");
      dataset.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
    }
  }
  for (const auto& [tag, value] : {std::pair{DCM_PatientName, &patient.name}, {DCM_PatientID, &patient.identity.id},
                                   {DCM_IssuerOfPatientID, &patient.identity.issuer},
                                   {DCM_PatientBirthDate, &patient.birth_date}, {DCM_PatientSex, &patient.sex}}) {
    OFCondition cond = dataset.putAndInsertString(tag, value->c_str());
    if (cond.bad())
      return Fail(ErrorCode::kInternal, std::string("cannot set the corrected patient module: ") + cond.text());
  }
  return {};
}

Result<std::string> PatientCorrectedJson(std::string_view json, const domain::Patient& patient) {
  auto object = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return Fail(ErrorCode::kInvalidArgument, "instance metadata is not a JSON object");
  auto put = [&](const char* tag, const char* vr, const std::string& value) {
    nlohmann::json element{{"vr", vr}};
    if (!value.empty())
      element["Value"] = std::string_view(vr) == "PN" ? nlohmann::json::array({{{"Alphabetic", value}}})
                                                      : nlohmann::json::array({value});
    object[tag] = std::move(element);
  };
  put("00100010", "PN", patient.name);
  put("00100020", "LO", patient.identity.id);
  put("00100021", "LO", patient.identity.issuer);
  put("00100030", "DA", patient.birth_date);
  put("00100040", "CS", patient.sex);
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace systole::dicom
