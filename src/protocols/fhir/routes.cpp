// HTTP side of /fhir: content negotiation, paging, Bundle and OperationOutcome.
#include <algorithm>

#include <fmt/format.h>

#include "base/log.h"
#include "protocols/fhir/fhir.h"
#include "protocols/fhir/internal/resource_search.h"

namespace systole::fhir {
namespace {

constexpr const char* kFhirJson = "application/fhir+json; charset=utf-8";

// Paging and format parameters: handled here, never passed to a search.
bool IsControlParam(std::string_view name) {
  return name == "_count" || name == "_offset" || name == "_format" || name == "_pretty";
}

http::HttpResponse Resource(int status, const json& body) {
  return http::HttpResponse::Json(status, body.dump(), kFhirJson);
}

http::HttpResponse Outcome(int status, std::string_view code, std::string_view diagnostics) {
  return Resource(status, OperationOutcome(status >= 500 ? "fatal" : "error", code, diagnostics));
}

http::HttpResponse FromError(const http::HttpRequest& request, const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      LOG_INFO("fhir", "400 for {}: {}", request.path, error.message);
      return Outcome(400, "invalid", error.message);
    case ErrorCode::kNotFound:
      return Outcome(404, "not-found", error.message);
    case ErrorCode::kUnavailable:
      LOG_WARN("fhir", "503 for {}: {}", request.path, error.message);
      return Outcome(503, "transient", error.message);
    default:
      LOG_ERROR("fhir", "500 for {}: {}", request.path, error.message);
      return Outcome(500, "exception", error.message);
  }
}

// JSON is all Systole speaks: 406 for an explicit request of anything else.
std::optional<http::HttpResponse> CheckFormat(const http::HttpRequest& request) {
  if (auto format = request.Param("_format")) {
    if (*format == "json" || *format == "application/json" || *format == "application/fhir+json") return std::nullopt;
    return Outcome(406, "not-supported", fmt::format("_format={} is not supported: JSON only", *format));
  }
  const std::string accept = request.Header("accept");
  if (accept.empty() || accept.find("json") != std::string::npos || accept.find("*/*") != std::string::npos ||
      accept.find("application/*") != std::string::npos)
    return std::nullopt;
  return Outcome(406, "not-supported", fmt::format("Accept: {} is not supported: application/fhir+json only", accept));
}

std::string Base(const http::HttpRequest& request) {
  const std::string host = request.Header("host");
  return fmt::format("http://{}/fhir", host.empty() ? "localhost" : host);
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string PageUrl(const std::string& base, std::string_view type, const SearchRequest& request, std::size_t offset) {
  std::string url = fmt::format("{}/{}?", base, type);
  for (const auto& [name, value] : request.params) url += PercentEncode(name) + "=" + PercentEncode(value) + "&";
  return url + fmt::format("_count={}&_offset={}", request.count, offset);
}

json CapabilityStatement(const ResourceSearch& search, const std::string& base) {
  json resources = json::array();
  for (const auto& type : search.Types()) {
    json params = json::array();
    for (const auto& p : *search.Params(type))
      params.push_back({{"name", p.name}, {"type", p.type}, {"documentation", p.documentation}});
    resources.push_back({{"type", type},
                         {"interaction", json::array({{{"code", "read"}}, {{"code", "search-type"}}})},
                         {"searchParam", params}});
  }
  return {{"resourceType", "CapabilityStatement"},
          {"status", "active"},
          {"date", "2026-11-23"},
          {"publisher", "Systole"},
          {"kind", "instance"},
          {"software", {{"name", "Systole"}, {"version", SYSTOLE_VERSION}}},
          {"implementation", {{"description", "Systole cardiology PACS, read-only FHIR R4"}, {"url", base}}},
          {"fhirVersion", "4.0.1"},
          {"format", json::array({"json", "application/fhir+json"})},
          {"rest", json::array({{{"mode", "server"},
                                 {"documentation", "Read and search only. _count (max 100) pages with next/previous "
                                                   "links; unknown parameters are ignored and reported, or refused "
                                                   "with Prefer: handling=strict."},
                                 {"resource", resources}}})}};
}

http::HttpResponse HandleSearch(const ResourceSearch& search, const http::HttpRequest& request, const std::string& type) {
  const auto* params = search.Params(type);
  if (!params) return Outcome(404, "not-supported", fmt::format("resource type '{}' is not served here", type));
  const std::string base = Base(request);
  SearchRequest search_request;
  search_request.base = base;
  search_request.scope = request.scope;
  std::vector<std::string> ignored;
  for (const auto& [name, value] : request.query) {
    if (IsControlParam(name)) continue;
    const bool known = std::any_of(params->begin(), params->end(), [&](const auto& p) { return p.name == name; });
    if (known) search_request.params.emplace_back(name, value);
    else ignored.push_back(name);
  }
  if (!ignored.empty() && request.Header("prefer").find("handling=strict") != std::string::npos)
    return Outcome(400, "not-supported", fmt::format("search parameter '{}' is not supported for {}", ignored.front(), type));
  if (auto count = request.Param("_count")) {
    auto parsed = ParseCount(*count);
    if (!parsed) return FromError(request, parsed.error());
    search_request.count = *parsed;
  }
  if (auto offset = request.Param("_offset")) {
    auto parsed = ParseCount(*offset);  // same syntax; any non-negative number
    if (!parsed || offset->find_first_not_of("0123456789") != std::string::npos)
      return Outcome(400, "invalid", fmt::format("_offset '{}' is not a number", *offset));
    search_request.offset = std::stoul(*offset);
  }
  auto page = search.Search(type, search_request);
  if (!page) return FromError(request, page.error());
  json links = json::array({{{"relation", "self"}, {"url", PageUrl(base, type, search_request, search_request.offset)}}});
  if (search_request.offset + search_request.count < page->total)
    links.push_back({{"relation", "next"},
                     {"url", PageUrl(base, type, search_request, search_request.offset + search_request.count)}});
  if (search_request.offset > 0)
    links.push_back({{"relation", "previous"},
                     {"url", PageUrl(base, type, search_request,
                                     search_request.offset > search_request.count ? search_request.offset - search_request.count : 0)}});
  json entries = json::array();
  for (auto& resource : page->resources) {
    std::string full_url = fmt::format("{}/{}/{}", base, type, resource["id"].get<std::string>());
    entries.push_back({{"fullUrl", std::move(full_url)}, {"resource", std::move(resource)}, {"search", {{"mode", "match"}}}});
  }
  if (!ignored.empty()) {
    std::string names;
    for (const auto& name : ignored) names += (names.empty() ? "" : ", ") + name;
    entries.push_back({{"resource", OperationOutcome("warning", "not-supported",
                                                     fmt::format("ignored search parameters: {}", names))},
                       {"search", {{"mode", "outcome"}}}});
  }
  json bundle = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", page->total}, {"link", links}};
  if (!entries.empty()) bundle["entry"] = std::move(entries);
  return Resource(200, bundle);
}

http::HttpResponse HandleRead(const ResourceSearch& search, const http::HttpRequest& request, const std::string& type,
                              const std::string& id) {
  if (!search.Params(type)) return Outcome(404, "not-supported", fmt::format("resource type '{}' is not served here", type));
  SearchRequest read;
  read.base = Base(request);
  read.params.emplace_back("_id", id);
  read.count = 1;
  auto page = search.Search(type, read);
  if (!page) return FromError(request, page.error());
  if (page->resources.empty()) return Outcome(404, "not-found", fmt::format("{}/{} is not known", type, id));
  return Resource(200, page->resources.front());
}

}  // namespace

void AddRoutes(http::Router& router, const Context& context) {
  auto search = std::make_shared<ResourceSearch>(context);
  router.Add({"GET", "/fhir/metadata", "FHIR CapabilityStatement",
              "What this FHIR R4 server supports: resource types, read and search-type, search parameters."},
             [search](const http::HttpRequest& request) {
               if (auto refused = CheckFormat(request)) return *refused;
               return Resource(200, CapabilityStatement(*search, Base(request)));
             });
  router.Add({"GET", "/fhir/{type}", "FHIR search",
              "Bundle searchset of the matches; _count (default 20, max 100) and _offset page it with next/previous links."},
             [search](const http::HttpRequest& request) {
               if (auto refused = CheckFormat(request)) return *refused;
               return HandleSearch(*search, request, request.PathParam("type"));
             });
  router.Add({"GET", "/fhir/{type}/{id}", "FHIR read", "The resource with this logical id, or 404 OperationOutcome."},
             [search](const http::HttpRequest& request) {
               if (auto refused = CheckFormat(request)) return *refused;
               return HandleRead(*search, request, request.PathParam("type"), request.PathParam("id"));
             });
}

}  // namespace systole::fhir
