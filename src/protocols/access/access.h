// HTTP access control and audit, on services/security:
//  - AccessGate::Install puts the router's one authenticator (who is asking:
//    session cookie `systole_session`, `Authorization: Bearer` (a Systole token
//    or, with OIDC configured, the issuer's JWT), or the demo
//    user; may this role use this route: the permission table) and its one
//    observer (the audit record of routes whose rule names an audit class).
//  - AddRoutes: POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me,
//    POST /api/auth/tokens (API tokens, admin), GET /api/audit (search).
// Refusals: 401 JSON + WWW-Authenticate when nobody signed in, 403 JSON when
// the role lacks the route's permission; bodies name no patient data.
#pragma once

#include <string>

#include "protocols/http/router.h"
#include "services/scope/scope_service.h"
#include "services/scope/share_service.h"
#include "services/security/audit_trail.h"
#include "services/security/auth_service.h"

namespace systole::access {

struct GateConfig {
  std::string demo_user;         // non-empty: requests without credentials are this user, role admin (loopback only)
  bool no_auth = false;          // --no-auth: anonymous, nothing checked, nothing audited (loopback only)
};

inline constexpr const char* kSessionCookie = "systole_session";
inline constexpr const char* kShareCookie = "systole_share";  // a share-link session (see ShareService)

// The study and status of a report (for the scope check of /api/reports/{id}…); nullopt when unknown.
struct ReportRef {
  std::string study, status;
};
using ReportLocator = std::function<std::optional<ReportRef>(const std::string& report_id)>;

class AccessGate {
 public:
  AccessGate(security::AuthService& auth, security::AuditTrail& audit, GateConfig config)
      : auth_(auth), audit_(audit), config_(std::move(config)) {}

  // Sets the router's authenticator and observer to this gate's (the gate must outlive the router's use).
  void Install(http::Router& router);

  std::optional<http::HttpResponse> Authenticate(http::HttpRequest& request, const http::RouteInfo& route) const;
  void Observe(const http::HttpRequest& request, const http::RouteInfo& route, const http::HttpResponse& response) const;

  // Data-level scope (services/scope; scope_check.cpp): the gate then accepts share
  // sessions (cookie systole_share; 410 once the link expired or was revoked),
  // resolves each request's StudyScope into request.scope, and answers 404 for a
  // study outside it (per-study routes, reports by id, WADO-URI), 403 for FHIR
  // resources other than ImagingStudy and for STOW-RS without a study when the
  // scope stores only into its studies. Without it every study is visible.
  void SetScope(scope::ScopeService& scopes, scope::ShareService& shares, ReportLocator reports) {
    scopes_ = &scopes;
    shares_ = &shares;
    reports_ = std::move(reports);
  }

 private:
  // The audit record of an OIDC token's first use (a sign-in by the claim's user), or of a
  // refused JWT (a failed sign-in, no user named).
  void RecordTokenSignIn(const http::HttpRequest& request, bool refused = false) const;
  std::optional<http::HttpResponse> ShareSession(http::HttpRequest& request, const std::string& token) const;
  std::optional<http::HttpResponse> ApplyScope(http::HttpRequest& request, const http::RouteInfo& route) const;

  security::AuthService& auth_;
  security::AuditTrail& audit_;
  GateConfig config_;
  scope::ScopeService* scopes_ = nullptr;
  scope::ShareService* shares_ = nullptr;
  ReportLocator reports_;
};

// The credential a request carries: the bearer token, else the session cookie; "" if none.
std::string RequestToken(const http::HttpRequest& request);

void AddRoutes(http::Router& router, security::AuthService& auth, security::AuditTrail& audit, const GateConfig& config);

// Assignments, patient links, break-glass, share links and the share page
// (scope_routes.cpp, share_routes.cpp); see the README's Security section.
void AddScopeRoutes(http::Router& router, scope::ScopeService& scopes);
void AddShareRoutes(http::Router& router, scope::ShareService& shares);

// A cookie's value in a Cookie header, "" when absent.
std::string CookieValue(const std::string& header, std::string_view name);

}  // namespace systole::access
