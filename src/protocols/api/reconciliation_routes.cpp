#include "protocols/api/reconciliation_routes.h"

#include <nlohmann/json.hpp>

#include "protocols/api/api_errors.h"

namespace systole::api {
namespace {

using nlohmann::json;

json PatientJson(const domain::Patient& p) {
  return {{"id", p.identity.id}, {"issuer", p.identity.issuer}, {"name", p.name}, {"birth_date", p.birth_date},
          {"sex", p.sex}};
}

json RecordList(const std::vector<domain::StudyReconciliation>& records) {
  json list = json::array();
  for (const auto& r : records) list.push_back(json::parse(services::RecordJson(r), nullptr, false));
  return list;
}

// 200 with `body` (invalid UTF-8 from DICOM headers replaced, never thrown).
http::HttpResponse JsonAnswer(const json& body) {
  return http::HttpResponse::Json(200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// {key: [record]} of a listing.
http::HttpResponse RecordsAnswer(const char* key, const Result<std::vector<domain::StudyReconciliation>>& list) {
  if (!list) return ErrorResponse(list.error());
  return JsonAnswer(json{{key, RecordList(*list)}});
}

http::HttpResponse RecordResponse(const Result<domain::StudyReconciliation>& record) {
  if (!record) return ErrorResponse(record.error());
  return http::HttpResponse::Json(200, services::RecordJson(*record));
}

// The request's JSON object body; nullopt (and `error` set) when it is not one.
std::optional<json> Body(const http::HttpRequest& request, http::HttpResponse& error) {
  auto body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    error = http::HttpResponse::Error(400, "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

// A string member ("" when absent); false when present but not a string.
bool Text(const json& body, const char* name, std::string& out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool IsUid(const std::string& uid) {
  return !uid.empty() && uid.size() <= 64 && uid.find_first_not_of("0123456789.") == std::string::npos;
}

std::string Actor(const http::HttpRequest& request) { return request.user.empty() ? "anonymous" : request.user; }

using Action = std::function<http::HttpResponse(const std::string& study, const json& body, const std::string& user)>;

// A POST on a study: checks the UID and the body, then runs `action`.
http::Handler StudyAction(Action action) {
  return [action = std::move(action)](const http::HttpRequest& request) {
    const std::string& study = request.PathParam("StudyInstanceUID");
    if (!IsUid(study)) return http::HttpResponse::Error(400, "malformed Study Instance UID");
    http::HttpResponse error;
    auto body = Body(request, error);
    if (!body) return error;
    return action(study, *body, Actor(request));
  };
}

}  // namespace

void AddReconciliationRoutes(http::Router& router, services::ReconciliationService& recon) {
  router.Add({"GET", "/api/admin/orphans", "Studies without a matching order",
              "Answers {\"orphans\": [record]}: studies stored without an accession number or with one no order has. "
              "A record: study_instance_uid, state, accession_number, header_patient {id, issuer, name, birth_date, "
              "sex}, differences, updated_at, order {accession_number, requested_procedure, indication, priority, "
              "referring_physician} once linked, candidate_accession (the order a mismatch was checked against)."},
             [&recon](const http::HttpRequest&) { return RecordsAnswer("orphans", recon.Orphans()); });
  router.Add({"GET", "/api/admin/mismatches", "Studies whose header patient disagrees with their order",
              "Answers {\"mismatches\": [record]}; `differences` lists {attribute, header, order} for each of "
              "PatientID, IssuerOfPatientID, PatientName, PatientBirthDate, PatientSex that disagree. Not linked."},
             [&recon](const http::HttpRequest&) { return RecordsAnswer("mismatches", recon.Mismatches()); });
  router.Add({"GET", "/api/admin/duplicate-patients", "Duplicate-patient candidates",
              "Answers {\"candidates\": [{name, birth_date, patients: [{id, issuer, name, birth_date, sex}]}]}: "
              "patients with the same name (case, spaces, trailing '^' ignored) and birth date under different IDs."},
             [&recon](const http::HttpRequest&) {
               auto groups = recon.DuplicatePatients();
               if (!groups) return ErrorResponse(groups.error());
               json list = json::array();
               for (const auto& g : *groups) {
                 json patients = json::array();
                 for (const auto& p : g.patients) patients.push_back(PatientJson(p));
                 list.push_back({{"name", g.name}, {"birth_date", g.birth_date}, {"patients", patients}});
               }
               return JsonAnswer(json{{"candidates", list}});
             });
  router.Add({"GET", "/api/admin/reconciliation-log", "Every reconciliation action, newest first",
              "Answers {\"actions\": [{id, at, user, action, study_instance_uid, before, after}]} (before/after: the "
              "study's record as JSON, before empty for a new study). action: auto-link, orphan, mismatch (by "
              "\"system\"), link, correct-patient, dismiss (by the admin). ?limit=N (default 100, at most 1000)."},
             [&recon](const http::HttpRequest& request) {
               std::size_t limit = 100;
               if (auto text = request.Param("limit")) {
                 if (text->empty() || text->size() > 4 || text->find_first_not_of("0123456789") != std::string::npos)
                   return http::HttpResponse::Error(400, "limit must be a number from 1 to 1000");
                 limit = std::clamp<std::size_t>(std::stoul(*text), 1, 1000);
               }
               auto actions = recon.Log(limit);
               if (!actions) return ErrorResponse(actions.error());
               json list = json::array();
               for (const auto& a : *actions) {
                 auto parse = [](const std::string& text) {
                   return text.empty() ? json(nullptr) : json::parse(text, nullptr, false);
                 };
                 list.push_back({{"id", a.id}, {"at", a.at}, {"user", a.user}, {"action", a.action},
                                 {"study_instance_uid", a.study_instance_uid}, {"before", parse(a.before)},
                                 {"after", parse(a.after)}});
               }
               return JsonAnswer(json{{"actions", list}});
             });
  router.Add({"GET", "/api/studies/{StudyInstanceUID}/reconciliation", "A study's reconciliation state and order context",
              "Answers the study's record (see /api/admin/orphans); 404 when Systole has no record of the study."},
             [&recon](const http::HttpRequest& request) {
               const std::string& study = request.PathParam("StudyInstanceUID");
               if (!IsUid(study)) return http::HttpResponse::Error(400, "malformed Study Instance UID");
               auto record = recon.Get(study);
               if (!record) return ErrorResponse(record.error());
               if (!record->has_value()) return http::HttpResponse::Error(404, "no reconciliation record for " + study);
               return http::HttpResponse::Json(200, services::RecordJson(**record));
             });
  router.Add({"POST", "/api/admin/orphans/{StudyInstanceUID}/link", "Link a study to an order",
              "Body {\"accession\": \"...\"}. The study is filed under the order's patient in the index (its files "
              "are not rewritten; retrieves serve the corrected patient module) and gets the order's context. "
              "Answers the new record. 400 without accession, 404 for an unknown study or no active order."},
             StudyAction([&recon](const std::string& study, const json& body, const std::string& user) {
               std::string accession;
               if (!Text(body, "accession", accession)) return http::HttpResponse::Error(400, "accession must be a string");
               return RecordResponse(recon.Link(study, accession, user));
             }));
  router.Add({"POST", "/api/admin/studies/{StudyInstanceUID}/correct-patient", "Correct a study's patient",
              "Body {\"id\", \"issuer\", \"name\", \"birth_date\", \"sex\"} (id required): the study is filed under "
              "that patient in the index (created if unknown; given demographics replace its stored ones). Files "
              "are never rewritten: retrieves serve the corrected patient module. Answers the new record."},
             StudyAction([&recon](const std::string& study, const json& body, const std::string& user) {
               domain::Patient patient;
               if (!Text(body, "id", patient.identity.id) || !Text(body, "issuer", patient.identity.issuer) ||
                   !Text(body, "name", patient.name) || !Text(body, "birth_date", patient.birth_date) ||
                   !Text(body, "sex", patient.sex))
                 return http::HttpResponse::Error(400, "id, issuer, name, birth_date and sex must be strings");
               if (!patient.birth_date.empty() &&
                   (patient.birth_date.size() != 8 || patient.birth_date.find_first_not_of("0123456789") != std::string::npos))
                 return http::HttpResponse::Error(400, "birth_date must be YYYYMMDD");
               if (!patient.sex.empty() && patient.sex != "M" && patient.sex != "F" && patient.sex != "O")
                 return http::HttpResponse::Error(400, "sex must be M, F or O");
               return RecordResponse(recon.CorrectPatient(study, patient, user));
             }));
  router.Add({"POST", "/api/admin/mismatches/{StudyInstanceUID}/resolve", "Resolve a flagged study",
              "Body {\"action\": \"link\"|\"dismiss\", \"accession\"?}: link files the study under its order's "
              "patient and links it (accession defaults to the order the mismatch was found against); dismiss "
              "keeps it unlinked and clears the flag. Answers the new record."},
             StudyAction([&recon](const std::string& study, const json& body, const std::string& user) {
               std::string action, accession;
               if (!Text(body, "action", action) || !Text(body, "accession", accession))
                 return http::HttpResponse::Error(400, "action and accession must be strings");
               if (action == "dismiss") return RecordResponse(recon.Dismiss(study, user));
               if (action != "link") return http::HttpResponse::Error(400, "action must be link or dismiss");
               if (accession.empty()) {
                 auto record = recon.Get(study);
                 if (!record) return ErrorResponse(record.error());
                 if (!record->has_value()) return http::HttpResponse::Error(404, "no reconciliation record for " + study);
                 accession = (*record)->order_accession.empty() ? (*record)->accession_number : (*record)->order_accession;
               }
               return RecordResponse(recon.Link(study, accession, user));
             }));
}

}  // namespace systole::api
