// Sign-in, sign-out, who am I, API tokens and the audit search: thin handlers
// over AuthService and AuditTrail.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "protocols/access/access.h"

namespace systole::access {
namespace {

using http::HttpRequest;
using http::HttpResponse;

// Secure when the request came over HTTPS: a Secure cookie set over plain HTTP would never be
// sent back (HTTPS configured but not required: sign-in over the plain port must still work).
std::string SessionCookie(const std::string& token, const HttpRequest& request, bool clear) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}{}", kSessionCookie, token,
                     request.secure ? "; Secure" : "", clear ? "; Max-Age=0" : "");
}

HttpResponse Login(const HttpRequest& request, security::AuthService& auth) {
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body["user"].is_string() || !body["password"].is_string())
    return HttpResponse::Error(400, "expected a JSON object {\"user\": \"…\", \"password\": \"…\"}");
  const std::string user = body["user"];
  auto outcome = auth.Login(user, body["password"].get<std::string>());
  if (!outcome) {
    LOG_ERROR("auth", "sign-in of {} failed: {}", user, outcome.error().message);
    return HttpResponse::Error(503, "sign-in is unavailable");
  }
  switch (outcome->status) {
    case security::LoginStatus::kBadCredentials:
      LOG_INFO("auth", "sign-in refused for {} from {}: wrong user name or password", user, request.remote);
      return HttpResponse::Error(401, "wrong user name or password").With("WWW-Authenticate", "Bearer realm=\"systole\"");
    case security::LoginStatus::kLocked: {
      auto until = std::chrono::sys_seconds(std::chrono::seconds(outcome->locked_until));
      LOG_WARN("auth", "sign-in refused for {} from {}: account locked until {:%FT%T}Z", user, request.remote, until);
      auto wait = std::max<std::int64_t>(1, outcome->locked_until - std::time(nullptr));
      return HttpResponse::Error(429, fmt::format("account locked after repeated failed sign-ins; try again after "
                                                  "{:%FT%T}Z", until))
          .With("Retry-After", std::to_string(wait));
    }
    case security::LoginStatus::kSignedIn:
      break;
  }
  LOG_INFO("auth", "{} (role {}) signed in from {}", outcome->principal.user, outcome->principal.role, request.remote);
  nlohmann::json answer = {{"user", outcome->principal.user}, {"role", outcome->principal.role},
                           {"token", outcome->token}};
  return HttpResponse::Json(200, answer.dump()).With("Set-Cookie", SessionCookie(outcome->token, request, false))
      .With("Cache-Control", "no-store");
}

HttpResponse Logout(const HttpRequest& request, security::AuthService& auth) {
  if (std::string token = RequestToken(request); !token.empty()) {
    if (auto removed = auth.Logout(token); !removed) {
      LOG_ERROR("auth", "sign-out of {} failed: {}", request.user, removed.error().message);
      return HttpResponse::Error(503, "sign-out is unavailable");
    }
  }
  return HttpResponse::Json(200, R"({"signed_out":true})").With("Set-Cookie", SessionCookie("", request, true));
}

HttpResponse Me(const HttpRequest& request, const GateConfig& config, const security::PermissionTable& permissions) {
  nlohmann::json answer = {{"user", request.user}, {"role", request.role},
                           {"demo", !config.demo_user.empty() && request.user == config.demo_user &&
                                        RequestToken(request).empty()},
                           {"permissions", permissions.Granted(request.role)}};
  return HttpResponse::Json(200, answer.dump());
}

HttpResponse CreateToken(const HttpRequest& request, security::AuthService& auth) {
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body["user"].is_string())
    return HttpResponse::Error(400, "expected a JSON object {\"user\": \"…\", \"label\": \"…\"}");
  auto token = auth.CreateApiToken(body["user"].get<std::string>(), body.value("label", ""));
  if (!token) {
    if (token.error().code == ErrorCode::kNotFound) return HttpResponse::Error(404, "no such user");
    LOG_ERROR("auth", "cannot create an API token: {}", token.error().message);
    return HttpResponse::Error(503, "cannot create the token");
  }
  LOG_INFO("auth", "{} created an API token for {}", request.user, body["user"].get<std::string>());
  nlohmann::json answer{{"user", body["user"]}, {"token", *token}};
  if (const auto expires = auth.ApiTokenExpiry()) answer["expires_at"] = expires;  // unix seconds
  return HttpResponse::Json(201, answer.dump()).With("Cache-Control", "no-store");
}

// Unix milliseconds, or an ISO date "YYYY-MM-DD" / date-time "YYYY-MM-DDTHH:MM:SS[Z]" (UTC).
std::optional<std::int64_t> ParseTime(const std::string& text, bool end_of_day) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 15)
    return std::stoll(text);
  std::tm tm{};
  char tail = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                      &tm.tm_min, &tm.tm_sec, &tail);
  const bool date_only = n == 3 && text.size() == 10;
  if (!(date_only || n == 6 || (n == 7 && tail == 'Z' && text.back() == 'Z'))) return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::int64_t millis = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  if (date_only && end_of_day) millis += 86400 * 1000 - 1;
  return millis;
}

HttpResponse SearchAudit(const HttpRequest& request, security::AuditTrail& audit) {
  domain::AuditFilter filter;
  filter.user = request.Param("user").value_or("");
  filter.patient = request.Param("patient").value_or("");
  filter.study = request.Param("study").value_or("");
  for (auto [name, bound, end] : {std::tuple{"from", &filter.from, false}, std::tuple{"to", &filter.to, true}}) {
    if (auto text = request.Param(name)) {
      *bound = ParseTime(*text, end);
      if (!*bound) return HttpResponse::Error(400, fmt::format("{}: expected unix milliseconds or YYYY-MM-DD[THH:MM:SSZ]", name));
    }
  }
  if (auto limit = request.Param("limit")) {
    if (limit->empty() || limit->size() > 6 || limit->find_first_not_of("0123456789") != std::string::npos)
      return HttpResponse::Error(400, "limit: expected a number up to 999999");
    filter.limit = std::stoul(*limit);
  }
  auto records = audit.Search(filter);
  if (!records) {
    LOG_ERROR("audit", "audit search failed: {}", records.error().message);
    return HttpResponse::Error(503, "the audit log is unavailable");
  }
  const bool flagged = request.Param("flagged").value_or("") == "true";  // emergency (break-glass) records only
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : *records) {
    auto message = nlohmann::json::parse(r.message, nullptr, false);
    if (flagged && !(message.is_object() && message.value("SystoleEmergency", false))) continue;
    list.push_back({{"seq", r.seq}, {"recorded_at", r.recorded_at}, {"user", r.user}, {"patient", r.patient},
                    {"study", r.study}, {"hash", r.hash}, {"message", std::move(message)}});
  }
  return HttpResponse::Json(200, nlohmann::json{{"records", list}}.dump());
}

}  // namespace

void AddRoutes(http::Router& router, security::AuthService& auth, security::AuditTrail& audit,
               const GateConfig& config) {
  router.Add({"POST", "/api/auth/login", "Sign in",
              "Body {\"user\", \"password\"}. 200 {\"user\", \"role\", \"token\"} and the HttpOnly, SameSite=Strict "
              "session cookie systole_session; the token also works as `Authorization: Bearer`. 401 wrong user or "
              "password, 429 account locked (Retry-After), 400 malformed body.",
              true},
             [&auth](const HttpRequest& r) { return Login(r, auth); });
  router.Add({"POST", "/api/auth/logout", "Sign out", "Ends the session (or revokes the bearer token) and clears the cookie."},
             [&auth](const HttpRequest& r) { return Logout(r, auth); });
  router.Add({"GET", "/api/auth/me", "Who am I",
              "{\"user\", \"role\", \"demo\", \"permissions\"}: the signed-in user and what the role may do (the "
              "UI shows only the actions the server would allow)."},
             [config, &auth](const HttpRequest& r) { return Me(r, config, auth.permissions()); });
  router.Add({"POST", "/api/auth/tokens", "Create an API token (admin)",
              "Body {\"user\", \"label\"}. 201 {\"user\", \"token\"}: a bearer token for that user (e.g. an AI "
              "service), shown once; only its SHA-256 is stored. 404 unknown user."},
             [&auth](const HttpRequest& r) { return CreateToken(r, auth); });
  router.Add({"GET", "/api/audit", "Search the audit trail (auditor, admin)",
              "Query user, patient, study, from, to (unix ms or YYYY-MM-DD[THH:MM:SSZ], UTC), limit (default 1000), "
              "flagged=true (emergency access records only). "
              "{\"records\": [{seq, recorded_at, user, patient, study, hash, message}]}, message being the DICOM "
              "Audit Message (PS3.15 A.5) as JSON."},
             [&audit](const HttpRequest& r) { return SearchAudit(r, audit); });
}

}  // namespace systole::access
