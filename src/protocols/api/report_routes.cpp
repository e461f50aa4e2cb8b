#include "protocols/api/report_routes.h"

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "services/reporting/document_json.h"

namespace systole::api {
namespace {

using nlohmann::json;
using services::CodeJson;
using services::ReportService;
using services::SignatureJson;

// The reporting contract's error body: {"error": "<why>", "status": <code>}.
http::HttpResponse Problem(int status, const std::string& message) {
  return http::HttpResponse::Json(status, json{{"error", message}, {"status", status}}.dump());
}

http::HttpResponse Refusal(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return Problem(400, error.message);
    case ErrorCode::kNotFound:
      return Problem(404, error.message);
    case ErrorCode::kPermissionDenied:
      return Problem(403, error.message);
    case ErrorCode::kAlreadyExists:  // a final report, or a concurrent change
      return Problem(409, error.message);
    case ErrorCode::kUnavailable:
      return Problem(503, error.message);
    default:
      LOG_ERROR("api", "reporting: {}", error.message);
      return Problem(500, error.message);
  }
}

json TemplateJson(const services::ReportTemplate& t) {
  json sections = json::array();
  for (const auto& s : t.sections) {
    json fields = json::array();
    for (const auto& id : s.field_ids) {
      const auto& f = *t.Field(id);
      json field = {{"id", f.id}, {"label", f.label}, {"kind", f.kind}, {"code", CodeJson(f.code)}};
      if (f.kind == "number") {
        field["unit"] = f.unit;
        field["decimals"] = f.decimals;
        json normal = json::object();
        for (const auto& [sex, range] : f.normal) normal[sex] = {range.low, range.high};
        field["normal"] = normal;
      }
      if (f.kind == "choice") {
        field["choices"] = json::array();
        for (const auto& c : f.choices)
          field["choices"].push_back({{"value", c.value}, {"meaning", c.meaning}, {"code", CodeJson(c.code)},
                                      {"sentence", c.sentence}});
      }
      if (!f.sentence.empty()) field["sentence"] = f.sentence;
      fields.push_back(std::move(field));
    }
    sections.push_back({{"id", s.id}, {"title", s.title}, {"fields", fields}});
  }
  json derived = json::array();
  for (const auto& d : t.derivations) derived.push_back({{"field", d.field}, {"formula", d.formula}, {"inputs", d.inputs}});
  return {{"id", t.id}, {"title", t.title}, {"sections", sections}, {"derived", derived}};
}

json SummaryJson(const services::Report& r) {
  return {{"id", r.id},           {"study_instance_uid", r.study_instance_uid}, {"template", r.template_id},
          {"status", r.status},   {"version", r.version},                       {"created_at", r.created_at},
          {"created_by", r.created_by}};
}

json ReportJson(const ReportService& service, const services::Report& r) {
  json out = SummaryJson(r);
  const auto* tmpl = service.FindTemplate(r.template_id);
  const auto document = service.Preview(r);
  json fields = json::array();
  if (tmpl) {
    for (const auto& f : tmpl->fields) {
      auto it = r.fields.find(f.id);
      const services::FieldState empty;
      const auto& state = it == r.fields.end() ? empty : it->second;
      auto range = f.RangeFor(r.context.patient.sex);
      json choices = json::array();
      for (const auto& c : f.choices) choices.push_back({{"value", c.value}, {"meaning", c.meaning}});
      std::string section_title = f.section;
      for (const auto& s : tmpl->sections)
        if (s.id == f.section) section_title = s.title;
      fields.push_back({
          {"id", f.id},
          {"section", f.section},
          {"section_title", section_title},
          {"label", f.label},
          {"choices", std::move(choices)},
          {"kind", f.kind},
          {"unit", f.kind == "number" ? json(f.unit) : json(nullptr)},
          {"value", state.value.empty() ? json(nullptr) : json(state.value)},
          {"source", state.source.empty() ? json(nullptr) : json(state.source)},
          {"source_detail", state.source_detail},
          {"flag", services::Flag(f, state.value, r.context.patient.sex)},
          {"normal_range", range && f.kind == "number" ? json(services::FormatNumber(range->low, f.decimals) + "-" +
                                                              services::FormatNumber(range->high, f.decimals))
                                                       : json(nullptr)},
          {"note", state.note},
          {"accepted", state.accepted},
      });
    }
  }
  out["template_title"] = tmpl ? tmpl->title : "";
  out["fields"] = std::move(fields);
  out["findings"] = document.findings;
  out["impression"] = r.impression;
  out["signature"] = r.signature ? SignatureJson(*r.signature) : json(nullptr);
  out["addenda"] = services::AddendaJson(r.addenda);
  json history = json::array();
  for (const auto& t : r.history)
    history.push_back({{"from", t.from.empty() ? json(nullptr) : json(t.from)}, {"to", t.to}, {"user", t.user},
                       {"at", t.at}});
  out["history"] = std::move(history);
  const auto& c = r.context;
  out["patient"] = {{"id", c.patient.identity.id}, {"issuer", c.patient.identity.issuer},
                    {"name", c.patient.name},      {"birth_date", c.patient.birth_date},
                    {"sex", c.patient.sex}};
  out["accession_number"] = c.accession_number;
  out["indication"] = c.indication;
  out["referring_physician"] = c.referring_physician;
  return out;
}

// The request body as a JSON object, or the 400 that refuses it.
std::optional<http::HttpResponse> ParseBody(const http::HttpRequest& request, json& body) {
  body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return Problem(400, "the request body must be a JSON object");
  return std::nullopt;
}

// The string member `key` of the body; nullopt when absent or not a string.
std::optional<std::string> StringMember(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::string> OptionalText(const json& body, const char* key, bool& bad) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    bad = true;
    return std::nullopt;
  }
  return it->get<std::string>();
}

http::HttpResponse ReportAnswer(const ReportService& service, const Result<services::Report>& report, int status) {
  if (!report) return Refusal(report.error());
  return http::HttpResponse::Json(status, ReportJson(service, *report).dump());
}

}  // namespace

void AddReportRoutes(http::Router& router, ReportService& reports) {
  router.Add({"GET", "/api/templates", "Report templates", "Answers {\"templates\":[{\"id\",\"title\"}]}."},
             [&reports](const http::HttpRequest&) {
               json list = json::array();
               for (const auto& t : reports.Templates()) list.push_back({{"id", t.id}, {"title", t.title}});
               return http::HttpResponse::Json(200, json{{"templates", list}}.dump());
             });
  router.Add({"GET", "/api/templates/{id}", "One report template",
              "The template definition: sections of fields (id, label, kind number|choice|text, unit, decimals, "
              "normal ranges by sex, choices, concept code, sentence rule) and derivations. 404 when unknown."},
             [&reports](const http::HttpRequest& request) {
               const auto* t = reports.FindTemplate(request.PathParam("id"));
               if (!t) return Problem(404, "no report template \"" + request.PathParam("id") + "\"");
               return http::HttpResponse::Json(200, TemplateJson(*t).dump());
             });
  router.Add({"POST", "/api/studies/{StudyInstanceUID}/reports", "Create a report for a study",
              "Body {\"template\":\"tte\"}. Answers 201 with the new draft, auto-populated from the study's "
              "measurements (SR) and metadata (header, order). 400 bad body, 404 unknown study or template."},
             [&reports](const http::HttpRequest& request) {
               json body;
               if (auto refused = ParseBody(request, body)) return *refused;
               auto template_id = StringMember(body, "template");
               if (!template_id) return Problem(400, "body needs \"template\": a template id (GET /api/templates)");
               return ReportAnswer(
                   reports, reports.Create(request.PathParam("StudyInstanceUID"), *template_id, request.user), 201);
             });
  router.Add({"GET", "/api/studies/{StudyInstanceUID}/reports", "Reports of a study",
              "Answers {\"reports\":[{id, study_instance_uid, template, status, version, created_at, "
              "created_by}]}, oldest first. 404 when the study is not stored."},
             [&reports](const http::HttpRequest& request) {
               auto list = reports.StudyReports(request.PathParam("StudyInstanceUID"));
               if (!list) return Refusal(list.error());
               json out = json::array();
               for (const auto& r : *list)
                 if (!request.scope.final_reports_only || r.status == domain::kReportFinal ||
                     r.status == domain::kReportAddendum)  // drafts are hidden from referring physicians
                   out.push_back(SummaryJson(r));
               return http::HttpResponse::Json(200, json{{"reports", out}}.dump());
             });
  router.Add({"GET", "/api/reports/{id}", "A report",
              "Answers {id, study_instance_uid, template, status, version, fields:[{id, section, label, kind, unit, "
              "value, source, source_detail, flag, normal_range, note, accepted}], findings, impression, signature "
              "| null, addenda, history:[{from, to, user, at}]}. Drafts are refreshed from newer measurements first "
              "(a changed field says so in its note; typed values are kept). 404 when unknown."},
             [&reports](const http::HttpRequest& request) {
               return ReportAnswer(reports, reports.Get(request.PathParam("id")), 200);
             });
  router.Add({"PUT", "/api/reports/{id}/fields/{field_id}", "Change, clear or accept a field",
              "Body {\"value\":\"…\"} (typed by the reader: source \"typed\"), {\"value\":null} (cleared; never "
              "refilled), or {\"accept\":true}. Answers the report. 400 unknown field or a value its kind refuses, "
              "404 unknown report, 409 when the report is final (use an addendum)."},
             [&reports](const http::HttpRequest& request) {
               json body;
               if (auto refused = ParseBody(request, body)) return *refused;
               services::FieldEdit edit;
               if (body.contains("accept")) {
                 if (body["accept"] != true) return Problem(400, "\"accept\" must be true");
                 edit.accept = true;
               } else if (!body.contains("value")) {
                 return Problem(400, "body needs \"value\" (a string or null) or \"accept\": true");
               } else if (body["value"].is_string()) {
                 edit.value = body["value"].get<std::string>();
               } else if (body["value"].is_number()) {
                 edit.value = body["value"].dump();
               } else if (!body["value"].is_null()) {
                 return Problem(400, "\"value\" must be a string, a number or null");
               }
               return ReportAnswer(
                   reports, reports.SetField(request.PathParam("id"), request.PathParam("field_id"), edit, request.user),
                   200);
             });
  router.Add({"PUT", "/api/reports/{id}/text", "Edit findings and impression",
              "Body {\"findings\":\"…\",\"impression\":\"…\"} (either may be left out; empty findings go back to "
              "the narrative generated from the fields). 409 when final."},
             [&reports](const http::HttpRequest& request) {
               json body;
               if (auto refused = ParseBody(request, body)) return *refused;
               bool bad = false;
               auto findings = OptionalText(body, "findings", bad);
               auto impression = OptionalText(body, "impression", bad);
               if (bad) return Problem(400, "\"findings\" and \"impression\" must be strings");
               return ReportAnswer(reports, reports.SetText(request.PathParam("id"), findings, impression, request.user),
                                   200);
             });
  router.Add({"POST", "/api/reports/{id}/status", "Move a report through its lifecycle",
              "Body {\"status\":\"draft\"|\"preliminary\"|\"final\"}. Final signs the report (signer, time, SHA-256 "
              "of the canonical content; stored as version 1). 403 when the user is not in reporting.signers, 409 "
              "when already final, 400 for another status."},
             [&reports](const http::HttpRequest& request) {
               json body;
               if (auto refused = ParseBody(request, body)) return *refused;
               auto status = StringMember(body, "status");
               if (!status) return Problem(400, "body needs \"status\": draft, preliminary or final");
               return ReportAnswer(reports, reports.SetStatus(request.PathParam("id"), *status, request.user), 200);
             });
  router.Add({"POST", "/api/reports/{id}/addenda", "Add a signed addendum to a final report",
              "Body {\"text\":\"…\"}; signed at once by the caller (a new version; earlier versions unchanged). "
              "403 when the user may not sign, 400 empty text or a report not final yet."},
             [&reports](const http::HttpRequest& request) {
               json body;
               if (auto refused = ParseBody(request, body)) return *refused;
               auto text = StringMember(body, "text");
               if (!text) return Problem(400, "body needs \"text\"");
               return ReportAnswer(reports, reports.AddAddendum(request.PathParam("id"), *text, request.user), 201);
             });
  router.Add({"GET", "/api/reports/{id}/versions", "Every signed version of a report",
              "Answers {\"versions\":[ReportDocument…]} oldest first (version 1 = the final, then one per addendum), "
              "each with its signature and content_sha256, for side-by-side display. 404 when unknown."},
             [&reports](const http::HttpRequest& request) {
               auto versions = reports.Versions(request.PathParam("id"));
               if (!versions) return Refusal(versions.error());
               json list = json::array();
               for (const auto& d : *versions) list.push_back(services::DocumentJson(d));
               return http::HttpResponse::Json(200, json{{"versions", list}}.dump());
             });
  router.Add({"GET", "/api/reports/{id}/versions/{n}", "One signed version of a report",
              "The ReportDocument JSON of version n (1-based). 404 when the report or version does not exist."},
             [&reports](const http::HttpRequest& request) {
               auto versions = reports.Versions(request.PathParam("id"));
               if (!versions) return Refusal(versions.error());
               const std::string& n = request.PathParam("n");
               for (const auto& d : *versions)
                 if (std::to_string(d.version) == n) return http::HttpResponse::Json(200, services::DocumentJson(d).dump());
               return Problem(404, "report " + request.PathParam("id") + " has no signed version " + n);
             });
}

}  // namespace systole::api
