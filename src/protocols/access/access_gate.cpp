#include "protocols/access/access.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "services/security/jwt.h"

namespace systole::access {
namespace {

http::HttpResponse Unauthenticated(std::string_view message, bool invalid_token = false) {
  return http::HttpResponse::Error(401, message)
      .With("WWW-Authenticate", invalid_token ? "Bearer realm=\"systole\", error=\"invalid_token\"" : "Bearer realm=\"systole\"");
}

// The search parameters of a query, as sent (for the audit record's query object).
std::string QueryText(const http::HttpRequest& request) {
  std::string text;
  for (const auto& [key, value] : request.query) text += (text.empty() ? "" : "&") + key + "=" + value;
  return text;
}

std::string PathParam(const http::HttpRequest& request, const char* name) {
  auto it = request.path_params.find(name);
  return it == request.path_params.end() ? "" : it->second;
}

}  // namespace

std::string CookieValue(const std::string& header, std::string_view name) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    pos = end + 1;
  }
  return "";
}

std::string RequestToken(const http::HttpRequest& request) {
  const std::string authorization = request.Header("authorization");
  if (authorization.size() > 7 && (authorization.starts_with("Bearer ") || authorization.starts_with("bearer ")))
    return authorization.substr(7);
  return CookieValue(request.Header("cookie"), kSessionCookie);
}

void AccessGate::Install(http::Router& router) {
  router.SetAuthenticator(
      [this](http::HttpRequest& request, const http::RouteInfo& route) { return Authenticate(request, route); });
  router.SetObserver([this](const http::HttpRequest& request, const http::RouteInfo& route,
                            const http::HttpResponse& response) { Observe(request, route, response); });
}

std::optional<http::HttpResponse> AccessGate::Authenticate(http::HttpRequest& request,
                                                           const http::RouteInfo& route) const {
  if (config_.no_auth) {
    request.user.clear();
    return std::nullopt;
  }
  const security::PermissionTable& permissions = auth_.permissions();
  const std::string token = RequestToken(request);
  if (!token.empty()) {
    auto principal = auth_.Authenticate(token);
    if (!principal) {
      if (principal.error().code != ErrorCode::kPermissionDenied) {
        LOG_ERROR("http", "authentication of {} {} failed: {}", request.method, request.path, principal.error().message);
        return http::HttpResponse::Error(503, "sign-in is unavailable");
      }
      LOG_INFO("http", "{} {} from {}: refused ({})", request.method, request.path, request.remote,
               principal.error().message);
      if (security::LooksLikeJwt(token)) RecordTokenSignIn(request, true);  // a failed single sign-on
      return Unauthenticated("invalid or expired credentials", true);
    }
    request.user = principal->user;
    request.role = principal->role;
    if (principal->new_sign_in) RecordTokenSignIn(request);
    if (request.role.empty()) {
      LOG_INFO("http", "{} {} from {}: user {} has no Systole role (no mapped value in the token's role claim)",
               request.method, request.path, request.remote, request.user);
      return http::HttpResponse::Error(403, "no Systole role for this account");
    }
  } else if (std::string share = shares_ ? CookieValue(request.Header("cookie"), kShareCookie) : "";
             !share.empty()) {
    if (auto refused = ShareSession(request, share)) return refused;
  } else if (!config_.demo_user.empty()) {
    request.user = config_.demo_user;
    request.role = "admin";
  } else {
    return Unauthenticated("sign-in required");
  }
  const security::RouteRule* rule = permissions.Rule(route.method, route.pattern);
  if (!rule) {
    // Serve refuses to start with such a route; fail closed all the same.
    LOG_ERROR("http", "no permission rule for {} {}", route.method, route.pattern);
    return http::HttpResponse::Error(403, "this route has no permission rule");
  }
  if (!permissions.Allows(request.role, rule->permission)) {
    LOG_INFO("http", "{} {} from {}: user {} (role {}) lacks permission {}", request.method, request.path,
             request.remote, request.user, request.role, rule->permission);
    return http::HttpResponse::Error(403, fmt::format("role {} lacks the permission {}", request.role, rule->permission));
  }
  if (scopes_) return ApplyScope(request, route);
  return std::nullopt;
}

void AccessGate::RecordTokenSignIn(const http::HttpRequest& request, bool refused) const {
  security::AuditEvent event;
  event.event_class = "login";
  event.success = !refused && !request.role.empty();
  event.user = request.user;  // "" for a refused token: its claims are not to be believed
  event.subject = request.user;
  event.role = request.role;
  event.remote = request.remote;
  event.action = std::string(refused ? "OIDC bearer token refused: " : "OIDC bearer token, first use: ") +
                 request.method + " " + request.path;
  if (!refused)
    LOG_INFO("auth", "{} (role {}) signed in with an OIDC token from {}", request.user,
             request.role.empty() ? "none" : request.role, request.remote);
  if (auto recorded = audit_.Record(event); !recorded)
    LOG_ERROR("audit", "cannot record the sign-in of {}: {}", event.user, recorded.error().message);
}

void AccessGate::Observe(const http::HttpRequest& request, const http::RouteInfo& route,
                         const http::HttpResponse& response) const {
  if (config_.no_auth) return;
  const security::RouteRule* rule = auth_.permissions().Rule(route.method, route.pattern);
  if (!rule || rule->audit.empty()) return;
  security::AuditEvent event;
  event.event_class = rule->audit;
  event.success = response.status < 400;
  event.serious = response.status >= 500;
  event.user = request.user;
  event.role = request.role;
  if (rule->audit == "login" || rule->audit == "admin" || rule->audit == "emergency" || rule->audit == "share") {
    // The account concerned; for a sign-in nobody is signed in yet: the record names who tried.
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_object() && body["user"].is_string()) event.subject = body["user"].get<std::string>();
    if (rule->audit == "login") event.user = event.subject;
    if (rule->audit == "emergency" || rule->audit == "share") {
      // The body names the study or patient, and for break-glass the reason.
      event.subject.clear();
      if (body.is_object() && body["study"].is_string()) event.study = body["study"].get<std::string>();
      if (body.is_object() && body["patient"].is_string()) event.patient = body["patient"].get<std::string>();
      if (body.is_object() && body["reason"].is_string()) event.detail = "reason: " + body["reason"].get<std::string>();
    }
  }
  event.remote = request.remote;
  event.action = request.method + " " + request.path;
  event.query = QueryText(request);
  if (event.patient.empty())
    event.patient = request.Param("PatientID").value_or(request.Param("patient").value_or(""));
  if (rule->audit == "audit") event.patient.clear();  // an audit search is not about a patient
  if (event.study.empty()) event.study = PathParam(request, "study");
  if (event.study.empty()) event.study = PathParam(request, "StudyInstanceUID");
  event.series = PathParam(request, "series");
  event.instance = PathParam(request, "instance");
  if (event.study.empty() && rule->audit != "audit")
    event.study = request.Param("StudyInstanceUID").value_or(request.Param("studyUID").value_or(""));
  if (event.study.empty() && rule->audit == "read") event.study = request.study;
  event.emergency = !event.study.empty() && request.scope.Emergency(event.study);
  if (auto recorded = audit_.Record(event); !recorded)
    LOG_ERROR("audit", "cannot record {} by {}: {}", event.action, event.user, recorded.error().message);
}

}  // namespace systole::access
