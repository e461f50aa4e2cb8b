#include "services/reporting/document_json.h"

#include <fmt/format.h>
#include <openssl/evp.h>

namespace systole::services {
namespace {

using nlohmann::json;

domain::Code ParseCode(const json& j) {
  if (!j.is_object()) return {};
  return {j.value("code", ""), j.value("scheme", ""), j.value("meaning", "")};
}

}  // namespace

json CodeJson(const domain::Code& c) {
  if (c.empty()) return nullptr;
  return {{"code", c.value}, {"scheme", c.scheme}, {"meaning", c.meaning}};
}

json SignatureJson(const domain::ReportSignature& s) {
  return {{"signer", s.signer},
          {"signer_display", s.signer_display},
          {"signed_at", s.signed_at},
          {"content_sha256", s.content_sha256}};
}

json AddendaJson(const std::vector<domain::ReportAddendum>& addenda) {
  json out = json::array();
  for (const auto& a : addenda) out.push_back({{"text", a.text}, {"signature", SignatureJson(a.signature)}});
  return out;
}

domain::ReportSignature ParseSignature(const json& j) {
  if (!j.is_object()) return {};
  return {j.value("signer", ""), j.value("signer_display", ""), j.value("signed_at", ""),
          j.value("content_sha256", "")};
}

json DocumentJson(const domain::ReportDocument& d) {
  json sections = json::array();
  for (const auto& s : d.sections) {
    json values = json::array();
    for (const auto& v : s.values)
      values.push_back({{"field_id", v.field_id},   {"label", v.label},
                        {"code", CodeJson(v.code)}, {"kind", v.kind},
                        {"value", v.value},         {"choice_code", CodeJson(v.choice_code)},
                        {"unit", v.unit},           {"normal_range", v.normal_range},
                        {"flag", v.flag},           {"source", v.source},
                        {"source_detail", v.source_detail}});
    sections.push_back({{"id", s.id}, {"title", s.title}, {"values", values}});
  }
  return {
      {"report_id", d.report_id},
      {"version", d.version},
      {"status", d.status},
      {"template_id", d.template_id},
      {"template_title", d.template_title},
      {"institution", d.institution},
      {"patient",
       {{"id", d.patient.identity.id},
        {"issuer", d.patient.identity.issuer},
        {"name", d.patient.name},
        {"birth_date", d.patient.birth_date},
        {"sex", d.patient.sex}}},
      {"study_instance_uid", d.study_instance_uid},
      {"accession_number", d.accession_number},
      {"study_date", d.study_date},
      {"study_time", d.study_time},
      {"study_description", d.study_description},
      {"referring_physician", d.referring_physician},
      {"indication", d.indication},
      {"sections", sections},
      {"findings", d.findings},
      {"impression", d.impression},
      {"signature", SignatureJson(d.signature)},
      {"addenda", AddendaJson(d.addenda)},
      {"created_at", d.created_at},
  };
}

Result<domain::ReportDocument> ParseDocument(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Fail(ErrorCode::kInternal, "stored report version is not JSON");
  try {
    domain::ReportDocument d;
    d.report_id = j.at("report_id").get<std::string>();
    d.version = j.at("version").get<int>();
    d.status = j.at("status").get<std::string>();
    d.template_id = j.value("template_id", "");
    d.template_title = j.value("template_title", "");
    d.institution = j.value("institution", "");
    const json& p = j.at("patient");
    d.patient.identity = {p.value("id", ""), p.value("issuer", "")};
    d.patient.name = p.value("name", "");
    d.patient.birth_date = p.value("birth_date", "");
    d.patient.sex = p.value("sex", "");
    d.study_instance_uid = j.value("study_instance_uid", "");
    d.accession_number = j.value("accession_number", "");
    d.study_date = j.value("study_date", "");
    d.study_time = j.value("study_time", "");
    d.study_description = j.value("study_description", "");
    d.referring_physician = j.value("referring_physician", "");
    d.indication = j.value("indication", "");
    for (const auto& s : j.at("sections")) {
      domain::ReportSection section{s.value("id", ""), s.value("title", ""), {}};
      for (const auto& v : s.at("values"))
        section.values.push_back({v.value("field_id", ""), v.value("label", ""), ParseCode(v["code"]),
                                  v.value("kind", ""), v.value("value", ""), ParseCode(v["choice_code"]),
                                  v.value("unit", ""), v.value("normal_range", ""), v.value("flag", ""),
                                  v.value("source", ""), v.value("source_detail", "")});
      d.sections.push_back(std::move(section));
    }
    d.findings = j.value("findings", "");
    d.impression = j.value("impression", "");
    d.signature = ParseSignature(j["signature"]);
    for (const auto& a : j.at("addenda")) d.addenda.push_back({a.value("text", ""), ParseSignature(a["signature"])});
    d.created_at = j.value("created_at", "");
    return d;
  } catch (const json::exception& e) {
    return Fail(ErrorCode::kInternal, fmt::format("stored report version is damaged: {}", e.what()));
  }
}

std::string CanonicalContent(const domain::ReportDocument& document) {
  json j = DocumentJson(document);
  j.erase("signature");
  for (auto& a : j["addenda"]) a.erase("signature");
  return j.dump();  // nlohmann::json objects keep keys sorted; dump() adds no whitespace
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace systole::services
