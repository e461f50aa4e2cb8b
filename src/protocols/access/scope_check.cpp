// The data-level half of the access gate: share sessions, and each request's
// study scope (resolved by services/scope) applied to the route it asks for.
#include <fmt/format.h>

#include "base/log.h"
#include "domain/report.h"
#include "protocols/access/access.h"

namespace systole::access {
namespace {

std::string PathValue(const http::HttpRequest& request, const char* name) {
  auto it = request.path_params.find(name);
  return it == request.path_params.end() ? "" : it->second;
}

// Not "forbidden": a study outside the scope does not exist for this requester.
http::HttpResponse Absent() { return http::HttpResponse::Error(404, "not found"); }

}  // namespace

std::optional<http::HttpResponse> AccessGate::ShareSession(http::HttpRequest& request, const std::string& token) const {
  auto access = shares_->Session(token);
  if (!access) {
    LOG_ERROR("http", "share session of {} {} not checked: {}", request.method, request.path, access.error().message);
    return http::HttpResponse::Error(503, "sign-in is unavailable");
  }
  if (access->state != scope::ShareState::kOpen) {
    LOG_INFO("http", "{} {} from {}: share session refused (link expired, revoked or unknown)", request.method,
             request.path, request.remote);
    return http::HttpResponse::Error(410, "This link has expired or was revoked");
  }
  request.user = scope::SharePrincipal(access->share);
  request.role = scope::ShareRole(access->share);
  request.scope = scope::ShareScope(access->share);
  return std::nullopt;
}

std::optional<http::HttpResponse> AccessGate::ApplyScope(http::HttpRequest& request,
                                                         const http::RouteInfo& route) const {
  if (!request.user.starts_with("share:")) {
    auto resolved = scopes_->Resolve(request.user, request.role);
    if (!resolved) {
      LOG_ERROR("http", "scope of {} not resolved: {}", request.user, resolved.error().message);
      return http::HttpResponse::Error(503, "access control is unavailable");
    }
    request.scope = std::move(*resolved);
  }
  const domain::StudyScope& scope = request.scope;
  if (scope.all && !scope.final_reports_only && scope.reports) return std::nullopt;
  const std::string& pattern = route.pattern;
  std::string study = PathValue(request, "study");
  if (study.empty()) study = PathValue(request, "StudyInstanceUID");
  if (study.empty() && pattern == "/wado") study = request.Param("studyUID").value_or("");
  const bool report_route = pattern.find("/reports") != std::string::npos;
  if (report_route && !scope.reports) return Absent();
  if (pattern.starts_with("/api/reports/{id}") && reports_) {
    auto report = reports_(PathValue(request, "id"));
    if (!report) return std::nullopt;  // the handler answers 404 for an unknown report
    study = report->study;
    if (scope.final_reports_only && report->status != domain::kReportFinal &&
        report->status != domain::kReportAddendum) {
      LOG_INFO("http", "{} {}: report not final, hidden from {}", request.method, request.path, request.user);
      return Absent();
    }
  }
  request.study = study;
  if (!study.empty() && !scope.Allows(study)) {
    LOG_INFO("http", "{} {} from {}: study outside the scope of {} (role {})", request.method, request.path,
             request.remote, request.user, request.role);
    return Absent();
  }
  if (scope.all) return std::nullopt;
  if (pattern.starts_with("/fhir/") && pattern != "/fhir/metadata" && PathValue(request, "type") != "ImagingStudy")
    return http::HttpResponse::Error(403, "with a restricted scope only ImagingStudy is served over FHIR");
  if (pattern == "/launch") return http::HttpResponse::Error(403, "with a restricted scope open studies directly");
  if (scope.store_in_scope_only && request.method == "POST" && pattern == "/dicomweb/studies")
    return http::HttpResponse::Error(403, "store into a study of your scope: POST /dicomweb/studies/{study}");
  return std::nullopt;
}

}  // namespace systole::access
