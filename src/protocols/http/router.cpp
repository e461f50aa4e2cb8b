#include "protocols/http/router.h"

#include <nlohmann/json.hpp>

namespace systole::http {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

std::optional<std::vector<std::string>> DecodePathSegments(std::string_view path) {
  // Split the raw path first, then decode each segment: an encoded slash
  // never creates a new segment.
  std::vector<std::string> segments;
  for (auto& raw : SplitPath(path)) {
    std::string segment = PercentDecode(raw, false);
    if (segment == "." || segment == ".." || segment.find('/') != std::string::npos ||
        segment.find('\0') != std::string::npos)
      return std::nullopt;
    segments.push_back(std::move(segment));
  }
  return segments;
}

void Router::Add(RouteInfo info, Handler handler) {
  auto segments = SplitPath(info.pattern);
  routes_.push_back(Route{std::move(info), std::move(segments), std::move(handler)});
}

void Router::SetFallback(RouteInfo info, Handler handler) {
  fallback_ = Route{std::move(info), {}, std::move(handler)};
}

HttpResponse Router::Dispatch(HttpRequest& request) const {
  auto decoded = DecodePathSegments(request.path);
  if (!decoded) return HttpResponse::Error(400, "invalid path segment");
  const std::vector<std::string>& segments = *decoded;
  bool path_matched = false;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& p = route.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') params[p.substr(1, p.size() - 2)] = segments[i];
      else match = p == segments[i];
    }
    if (!match) continue;
    path_matched = true;
    if (route.info.method != request.method && !(route.info.method == "GET" && request.method == "HEAD")) continue;
    request.path_params = std::move(params);
    return Run(route, request);
  }
  if (path_matched) return HttpResponse::Error(405, "method not allowed for " + request.path);
  if (fallback_) {
    if (request.method != "GET" && request.method != "HEAD")
      return HttpResponse::Error(405, "method not allowed for " + request.path);
    request.path_params.clear();
    return Run(*fallback_, request);
  }
  return HttpResponse::Error(404, "no such resource: " + request.path);
}

HttpResponse Router::Run(const Route& route, HttpRequest& request) const {
  std::optional<HttpResponse> refused;
  if (authenticator_ && !route.info.open) refused = authenticator_(request, route.info);
  HttpResponse response = refused ? std::move(*refused) : route.handler(request);
  if (observer_) observer_(request, route.info, response);
  return response;
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> infos;
  for (const auto& route : routes_) infos.push_back(route.info);
  if (fallback_) infos.push_back(fallback_->info);
  return infos;
}

std::string Router::OpenApiJson(const std::string& title, const std::string& version) const {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& route : routes_) {
    if (!route.info.pattern.starts_with("/api") && route.info.pattern != "/healthz") continue;
    std::string method = route.info.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    nlohmann::json operation = {{"summary", route.info.summary}, {"description", route.info.description},
                                {"responses", {{"200", {{"description", "success"}}}}}};
    nlohmann::json parameters = nlohmann::json::array();
    for (const auto& segment : route.segments)
      if (segment.size() > 2 && segment.front() == '{')
        parameters.push_back({{"name", segment.substr(1, segment.size() - 2)}, {"in", "path"}, {"required", true},
                              {"schema", {{"type", "string"}}}});
    if (!parameters.empty()) operation["parameters"] = parameters;
    paths[route.info.pattern][method] = operation;
  }
  if (fallback_) {
    paths[fallback_->info.pattern]["get"] = {{"summary", fallback_->info.summary},
                                             {"description", fallback_->info.description},
                                             {"responses", {{"200", {{"description", "success"}}}}}};
  }
  nlohmann::json doc = {{"openapi", "3.0.3"}, {"info", {{"title", title}, {"version", version}}}, {"paths", paths}};
  return doc.dump(2);
}

}  // namespace systole::http
