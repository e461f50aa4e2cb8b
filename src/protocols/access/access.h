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
#include "services/security/audit_trail.h"
#include "services/security/auth_service.h"

namespace systole::access {

struct GateConfig {
  std::string demo_user;         // non-empty: requests without credentials are this user, role admin (loopback only)
  bool no_auth = false;          // --no-auth: anonymous, nothing checked, nothing audited (loopback only)
  bool secure_cookies = false;   // set Secure on the session cookie (HTTPS)
};

inline constexpr const char* kSessionCookie = "systole_session";

class AccessGate {
 public:
  AccessGate(security::AuthService& auth, security::AuditTrail& audit, GateConfig config)
      : auth_(auth), audit_(audit), config_(std::move(config)) {}

  // Sets the router's authenticator and observer to this gate's (the gate must outlive the router's use).
  void Install(http::Router& router);

  std::optional<http::HttpResponse> Authenticate(http::HttpRequest& request, const http::RouteInfo& route) const;
  void Observe(const http::HttpRequest& request, const http::RouteInfo& route, const http::HttpResponse& response) const;

 private:
  // The audit record of an OIDC token's first use (a sign-in by the claim's user), or of a
  // refused JWT (a failed sign-in, no user named).
  void RecordTokenSignIn(const http::HttpRequest& request, bool refused = false) const;

  security::AuthService& auth_;
  security::AuditTrail& audit_;
  GateConfig config_;
};

// The credential a request carries: the bearer token, else the session cookie; "" if none.
std::string RequestToken(const http::HttpRequest& request);

void AddRoutes(http::Router& router, security::AuthService& auth, security::AuditTrail& audit, const GateConfig& config);

}  // namespace systole::access
