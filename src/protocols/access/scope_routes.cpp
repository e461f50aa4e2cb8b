// Assignments (AI services), patient links (referring physicians), break-glass
// and its log: thin handlers over services/scope.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "protocols/access/access.h"

namespace systole::access {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

HttpResponse Refusal(const Error& error, std::string_view what) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument: return HttpResponse::Error(400, error.message);
    case ErrorCode::kNotFound: return HttpResponse::Error(404, error.message);
    case ErrorCode::kAlreadyExists: return HttpResponse::Error(409, error.message);
    default:
      LOG_ERROR("scope", "{} failed: {}", what, error.message);
      return HttpResponse::Error(503, fmt::format("{} is unavailable", what));
  }
}

std::string Member(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

json GrantJson(const domain::Grant& g, std::int64_t now) {
  json out = {{"id", g.id}, {"user", g.user}, {"created_by", g.created_by}, {"created_at", g.created_at}};
  if (g.kind == domain::kGrantBreakGlass) {
    const bool patient = g.value.starts_with("patient:");
    out[patient ? "patient" : "study"] = patient ? g.value.substr(8) : g.value;
    out["reason"] = g.reason;
    out["expires_at"] = g.expires_at;
    out["active"] = g.expires_at > now;
  } else {
    out[g.kind == domain::kGrantAssignment ? "study" : "patient"] = g.value;
  }
  return out;
}

// POST/DELETE/GET of one kind of grant: {user, <field>} (DELETE: query parameters).
void AddGrantRoutes(http::Router& router, scope::ScopeService& scopes, const std::string& path, const char* kind,
                    const char* field, const std::string& what) {
  router.Add({"POST", path, fmt::format("Give a user {} (admin)", what),
              fmt::format("Body {{\"user\", \"{}\"}}. 201 {{\"user\", \"{}\"}}; 404 unknown study; 400 missing member.",
                          field, field)},
             [&scopes, kind, field, what](const HttpRequest& r) {
               auto body = json::parse(r.body, nullptr, false);
               if (!body.is_object()) return HttpResponse::Error(400, fmt::format("expected {{\"user\", \"{}\"}}", field));
               const std::string user = Member(body, "user"), value = Member(body, field);
               if (auto done = scopes.Grant(kind, user, value, r.user); !done) return Refusal(done.error(), what);
               LOG_INFO("scope", "{} gave {} {} {}", r.user, user, field, value);
               return HttpResponse::Json(201, json{{"user", user}, {field, value}}.dump());
             });
  router.Add({"DELETE", path, fmt::format("Take {} away from a user (admin)", what),
              fmt::format("Query user, {}. 200; 404 when the user had no such grant.", field)},
             [&scopes, kind, field, what](const HttpRequest& r) {
               const std::string user = r.Param("user").value_or(""), value = r.Param(field).value_or("");
               if (auto done = scopes.Revoke(kind, user, value); !done) return Refusal(done.error(), what);
               LOG_INFO("scope", "{} took {} {} from {}", r.user, field, value, user);
               return HttpResponse::Json(200, json{{"user", user}, {field, value}, {"removed", true}}.dump());
             });
  router.Add({"GET", path, fmt::format("List {} (admin)", what),
              fmt::format("Query user (optional). {{\"items\": [{{id, user, {}, created_by, created_at}}]}}.", field)},
             [&scopes, kind, what](const HttpRequest& r) {
               auto grants = scopes.Grants(kind, r.Param("user").value_or(""));
               if (!grants) return Refusal(grants.error(), what);
               json items = json::array();
               for (const auto& g : *grants) items.push_back(GrantJson(g, scopes.NowMs()));
               return HttpResponse::Json(200, json{{"items", items}}.dump());
             });
}

HttpResponse BreakGlass(const HttpRequest& r, scope::ScopeService& scopes) {
  auto body = json::parse(r.body, nullptr, false);
  if (!body.is_object()) return HttpResponse::Error(400, "expected {\"study\" or \"patient\", \"reason\"}");
  auto grant = scopes.BreakGlass(r.user, r.role, Member(body, "study"), Member(body, "patient"), Member(body, "reason"));
  if (!grant) return Refusal(grant.error(), "break-glass");
  LOG_WARN("scope", "EMERGENCY ACCESS: {} (role {}) from {} to {} until {} — reason: {}", r.user, r.role, r.remote,
           grant->value, grant->expires_at, grant->reason);
  return HttpResponse::Json(201, GrantJson(*grant, scopes.NowMs()).dump());
}

HttpResponse BreakGlassLog(scope::ScopeService& scopes) {
  auto grants = scopes.BreakGlassLog();
  if (!grants) return Refusal(grants.error(), "the break-glass log");
  json items = json::array();
  std::size_t active = 0;
  for (const auto& g : *grants) {
    items.push_back(GrantJson(g, scopes.NowMs()));
    if (items.back()["active"].get<bool>()) ++active;
  }
  return HttpResponse::Json(200, json{{"active", active}, {"items", items}}.dump());
}

}  // namespace

void AddScopeRoutes(http::Router& router, scope::ScopeService& scopes) {
  AddGrantRoutes(router, scopes, "/api/admin/assignments", domain::kGrantAssignment, "study",
                 "a study assignment (AI services see only assigned studies)");
  AddGrantRoutes(router, scopes, "/api/admin/patient-links", domain::kGrantPatientLink, "patient",
                 "a patient link (referring physicians see their linked patients' studies)");
  router.Add({"POST", "/api/break-glass", "Emergency access to a study or patient outside your scope",
              "Body {\"study\"} or {\"patient\"} and \"reason\" (at least 10 characters). 201 {id, user, study | "
              "patient, reason, expires_at, active}: the study (or every study of the patient) is visible for "
              "security.break_glass_minutes; the start and every access during it are flagged as emergency access in "
              "the audit trail. 400 no reason, 404 nothing stored, 409 already within your scope."},
             [&scopes](const HttpRequest& r) { return BreakGlass(r, scopes); });
  router.Add({"GET", "/api/audit/break-glass", "Emergency accesses (auditor, admin)",
              "{\"active\": n, \"items\": [{id, user, study | patient, reason, created_at, expires_at, active}]}, "
              "newest first."},
             [&scopes](const HttpRequest&) { return BreakGlassLog(scopes); });
}

}  // namespace systole::access
