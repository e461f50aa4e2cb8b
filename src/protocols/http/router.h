// Router: maps (method, path pattern) to a handler. Patterns are literal
// segments and {name} captures ("/dicomweb/studies/{study}/series").
// Each route carries its description; routes under /api are published in the
// OpenAPI document (OpenApiJson). Not thread-safe to modify; Dispatch is.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocols/http/http_types.h"

namespace systole::http {

using Handler = std::function<HttpResponse(const HttpRequest&)>;

struct RouteInfo {
  std::string method;
  std::string pattern;
  std::string summary;      // one line: what the route does
  std::string description;  // parameters, responses
  bool open = false;        // served without authentication (liveness, the viewer's static files)
};

// Decides who a request comes from and whether it may use the matched route
// (its method and pattern) before the handler runs: fills request.user/role and
// returns nullopt, or returns the answer that refuses it (401/403). One place for
// every route (services/security's permission table behind it).
using Authenticator = std::function<std::optional<HttpResponse>(HttpRequest&, const RouteInfo&)>;

// Sees every request that matched a route (refused ones included) with the
// answer given, after the handler ran: the one place that records the audit trail.
using Observer = std::function<void(const HttpRequest&, const RouteInfo&, const HttpResponse&)>;

class Router {
 public:
  void Add(RouteInfo info, Handler handler);

  // Handles GET and HEAD requests whose path matches no route (e.g. static
  // files and a single-page app's own paths). Other methods on such paths
  // answer 405. Without a fallback they answer 404. The info is documentation
  // only (pattern "/{path}").
  void SetFallback(RouteInfo info, Handler handler);

  // Consulted for every route that is not `open` (and the fallback unless it is open).
  void SetAuthenticator(Authenticator authenticator) { authenticator_ = std::move(authenticator); }
  void SetObserver(Observer observer) { observer_ = std::move(observer); }

  // Every route added (and the fallback, last), for the permission check at
  // start-up and the permission-matrix test.
  std::vector<RouteInfo> Routes() const;

  // Finds the route, fills request.path_params, calls it. 404 when no pattern
  // matches, 405 when the path matches with another method, 400 for a path
  // with "." or ".." segments.
  HttpResponse Dispatch(HttpRequest& request) const;

  // OpenAPI 3.0 document of every route under /api (and /healthz).
  std::string OpenApiJson(const std::string& title, const std::string& version) const;

 private:
  struct Route {
    RouteInfo info;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
  std::optional<Route> fallback_;
  Authenticator authenticator_;
  Observer observer_;
  HttpResponse Run(const Route& route, HttpRequest& request) const;
};

std::vector<std::string> SplitPath(std::string_view path);

// The percent-decoded segments of a request path; nullopt when a segment is
// "." or "..", or decodes to one holding '/' or NUL (the router answers 400).
// Anything mapping a path onto a filesystem must go through this.
std::optional<std::vector<std::string>> DecodePathSegments(std::string_view path);

}  // namespace systole::http
