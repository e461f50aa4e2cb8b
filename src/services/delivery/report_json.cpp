#include "services/delivery/report_json.h"

#include <nlohmann/json.hpp>

namespace systole::domain {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Code, value, scheme, meaning)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PatientIdentity, id, issuer)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Patient, identity, name, birth_date, sex)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReportValue, field_id, label, code, kind, value, choice_code, unit,
                                                normal_range, flag, source, source_detail)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReportSection, id, title, values)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReportSignature, signer, signer_display, signed_at, content_sha256)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReportAddendum, text, signature)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReportDocument, report_id, version, status, template_id, template_title,
                                                institution, patient, study_instance_uid, accession_number, study_date,
                                                study_time, study_description, referring_physician, indication,
                                                sections, findings, impression, signature, addenda, created_at)

}  // namespace systole::domain

namespace systole::services {

std::string ReportToJson(const domain::ReportDocument& document) {
  return nlohmann::json(document).dump();
}

Result<domain::ReportDocument> ReportFromJson(std::string_view text) {
  try {
    return nlohmann::json::parse(text).get<domain::ReportDocument>();
  } catch (const nlohmann::json::exception& error) {
    return Fail(ErrorCode::kInvalidArgument, std::string("report document: ") + error.what());
  }
}

}  // namespace systole::services
