#include "services/reporting/report_model.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "services/reporting/document_json.h"

namespace systole::services {
using nlohmann::json;

std::string SerializeReport(const Report& r) {
  json fields = json::object();
  for (const auto& [id, f] : r.fields)
    fields[id] = {{"value", f.value}, {"source", f.source}, {"source_detail", f.source_detail},
                  {"note", f.note}, {"accepted", f.accepted}};
  json history = json::array();
  for (const auto& t : r.history) history.push_back({{"from", t.from}, {"to", t.to}, {"user", t.user}, {"at", t.at}});
  const auto& c = r.context;
  return json{
      {"id", r.id},
      {"study_instance_uid", r.study_instance_uid},
      {"template_id", r.template_id},
      {"status", r.status},
      {"created_at", r.created_at},
      {"created_by", r.created_by},
      {"context",
       {{"patient_id", c.patient.identity.id},
        {"patient_issuer", c.patient.identity.issuer},
        {"patient_name", c.patient.name},
        {"birth_date", c.patient.birth_date},
        {"sex", c.patient.sex},
        {"accession_number", c.accession_number},
        {"study_date", c.study_date},
        {"study_time", c.study_time},
        {"study_description", c.study_description},
        {"referring_physician", c.referring_physician},
        {"indication", c.indication}}},
      {"fields", fields},
      {"findings", r.findings},
      {"findings_edited", r.findings_edited},
      {"impression", r.impression},
      {"history", history},
      {"version", r.version},
      {"signature", r.signature ? SignatureJson(*r.signature) : json(nullptr)},
      {"addenda", AddendaJson(r.addenda)},
  }
      .dump();
}

Result<Report> ParseReport(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Fail(ErrorCode::kInternal, "stored report is not JSON");
  try {
    Report r;
    r.id = j.at("id").get<std::string>();
    r.study_instance_uid = j.at("study_instance_uid").get<std::string>();
    r.template_id = j.at("template_id").get<std::string>();
    r.status = j.at("status").get<std::string>();
    r.created_at = j.at("created_at").get<std::string>();
    r.created_by = j.at("created_by").get<std::string>();
    const json& c = j.at("context");
    r.context.patient.identity = {c.at("patient_id").get<std::string>(), c.at("patient_issuer").get<std::string>()};
    r.context.patient.name = c.at("patient_name").get<std::string>();
    r.context.patient.birth_date = c.at("birth_date").get<std::string>();
    r.context.patient.sex = c.at("sex").get<std::string>();
    r.context.accession_number = c.at("accession_number").get<std::string>();
    r.context.study_date = c.at("study_date").get<std::string>();
    r.context.study_time = c.at("study_time").get<std::string>();
    r.context.study_description = c.at("study_description").get<std::string>();
    r.context.referring_physician = c.at("referring_physician").get<std::string>();
    r.context.indication = c.at("indication").get<std::string>();
    for (const auto& [id, f] : j.at("fields").items())
      r.fields[id] = {f.at("value").get<std::string>(), f.at("source").get<std::string>(),
                      f.at("source_detail").get<std::string>(), f.at("note").get<std::string>(),
                      f.at("accepted").get<bool>()};
    r.findings = j.at("findings").get<std::string>();
    r.findings_edited = j.at("findings_edited").get<bool>();
    r.impression = j.at("impression").get<std::string>();
    for (const auto& t : j.at("history"))
      r.history.push_back({t.at("from").get<std::string>(), t.at("to").get<std::string>(),
                           t.at("user").get<std::string>(), t.at("at").get<std::string>()});
    r.version = j.at("version").get<int>();
    if (!j.at("signature").is_null()) r.signature = ParseSignature(j.at("signature"));
    for (const auto& a : j.at("addenda"))
      r.addenda.push_back({a.at("text").get<std::string>(), ParseSignature(a.at("signature"))});
    return r;
  } catch (const json::exception& e) {
    return Fail(ErrorCode::kInternal, fmt::format("stored report is damaged: {}", e.what()));
  }
}

}  // namespace systole::services
