#include "services/security/permissions.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "services/security/audit_trail.h"

namespace systole::security {
namespace {

constexpr std::string_view kPublic = "public";
constexpr std::string_view kAuthenticated = "authenticated";
const std::set<std::string> kRequiredRoles = {"admin",       "cardiologist", "fellow", "sonographer",
                                              "technologist", "referring",   "ai",     "auditor"};
const std::set<std::string> kScopes = {"all", "own_patients", "assigned", "share", "none"};
const std::set<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "PATCH"};

// A string member of a JSON object, "" when absent or not a string.
std::string Text(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::unexpected<Error> Invalid(const std::string& message) {
  return Fail(ErrorCode::kInvalidArgument, "permissions: " + message);
}

}  // namespace

Result<PermissionTable> PermissionTable::Parse(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Invalid("not a JSON object");
  const auto& permissions = doc["permissions"];
  const auto& roles = doc["roles"];
  const auto& routes = doc["routes"];
  if (!permissions.is_object() || !roles.is_object() || !routes.is_array())
    return Invalid("expected objects \"permissions\", \"roles\" and an array \"routes\"");
  std::set<std::string> declared;
  for (const auto& [name, description] : permissions.items()) {
    if (name == kPublic || name == kAuthenticated) return Invalid(fmt::format("\"{}\" is built in", name));
    declared.insert(name);
  }
  PermissionTable table;
  for (const auto& [role, granted] : roles.items()) {
    if (!granted.is_array()) return Invalid(fmt::format("role {}: expected an array of permissions", role));
    auto& set = table.roles_[role];
    for (const auto& p : granted) {
      if (!p.is_string() || !declared.contains(p.get<std::string>()))
        return Invalid(fmt::format("role {}: undeclared permission {}", role, p.dump()));
      set.insert(p.get<std::string>());
    }
  }
  for (const auto& role : kRequiredRoles)
    if (!table.roles_.contains(role)) return Invalid(fmt::format("required role {} is missing", role));
  if (const auto& scopes = doc["scopes"]; !scopes.is_null()) {
    if (!scopes.is_object()) return Invalid("\"scopes\": expected an object role → scope");
    for (const auto& [role, scope] : scopes.items()) {
      if (!table.roles_.contains(role)) return Invalid(fmt::format("scopes: undeclared role {}", role));
      if (!scope.is_string() || !kScopes.contains(scope.get<std::string>()))
        return Invalid(fmt::format("scopes: role {}: unknown scope {}", role, scope.dump()));
      table.scopes_[role] = scope.get<std::string>();
    }
  }
  const auto& services = doc["dicom_services"];
  if (!services.is_object()) return Invalid("expected an object \"dicom_services\": DIMSE service → permission");
  for (const auto& [service, permission] : services.items()) {
    if (std::find(DicomServices().begin(), DicomServices().end(), service) == DicomServices().end())
      return Invalid(fmt::format("dicom_services: unknown service {}", service));
    const std::string p = permission.is_string() ? permission.get<std::string>() : "";
    if (p != kAuthenticated && !declared.contains(p))
      return Invalid(fmt::format("dicom_services: {}: undeclared permission {}", service, permission.dump()));
    table.dicom_services_[service] = p;
  }
  for (const auto& service : DicomServices())
    if (!table.dicom_services_.contains(service)) return Invalid(fmt::format("dicom_services: no rule for {}", service));
  for (const auto& r : routes) {
    if (!r.is_object()) return Invalid(fmt::format("route {}: expected an object", r.dump()));
    RouteRule rule{Text(r, "method"), Text(r, "pattern"), Text(r, "permission"), Text(r, "audit")};
    if (rule.method.empty() || rule.pattern.empty() || rule.permission.empty())
      return Invalid(fmt::format("route {}: expected method, pattern and permission strings", r.dump()));
    if (!kMethods.contains(rule.method)) return Invalid(fmt::format("route {}: unknown method", r.dump()));
    if (!rule.pattern.starts_with("/")) return Invalid(fmt::format("route {}: pattern must start with /", r.dump()));
    if (rule.permission != kPublic && rule.permission != kAuthenticated && !declared.contains(rule.permission))
      return Invalid(fmt::format("route {} {}: undeclared permission {}", rule.method, rule.pattern, rule.permission));
    if (!rule.audit.empty() && !AuditTrail::KnownClass(rule.audit))
      return Invalid(fmt::format("route {} {}: unknown audit class {}", rule.method, rule.pattern, rule.audit));
    auto key = std::make_pair(rule.method, rule.pattern);
    if (!table.routes_.emplace(key, std::move(rule)).second)
      return Invalid(fmt::format("route {} {} appears twice", key.first, key.second));
  }
  return table;
}

Result<PermissionTable> PermissionTable::Load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Fail(ErrorCode::kNotFound, "permissions: cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  auto table = Parse(text.str());
  if (!table) return std::unexpected(Error{table.error().code, table.error().message + " (" + file.string() + ")"});
  return table;
}

const RouteRule* PermissionTable::Rule(std::string_view method, std::string_view pattern) const {
  auto it = routes_.find({std::string(method), std::string(pattern)});
  return it == routes_.end() ? nullptr : &it->second;
}

bool PermissionTable::Allows(std::string_view role, std::string_view permission) const {
  if (permission == kPublic) return true;
  auto it = roles_.find(role);
  if (it == roles_.end()) return false;
  return permission == kAuthenticated || it->second.contains(std::string(permission));
}

const std::vector<std::string>& PermissionTable::DicomServices() {
  static const std::vector<std::string> services = {"C-ECHO", "C-STORE", "C-FIND", "C-GET", "C-MOVE", "MWL-FIND"};
  return services;
}

const std::string* PermissionTable::DicomServicePermission(std::string_view service) const {
  auto it = dicom_services_.find(service);
  return it == dicom_services_.end() ? nullptr : &it->second;
}

bool PermissionTable::AllowsDicom(std::string_view role, std::string_view service) const {
  const std::string* permission = DicomServicePermission(service);
  return permission && Allows(role, *permission);
}

std::vector<std::string> PermissionTable::Granted(std::string_view role) const {
  auto it = roles_.find(role);
  return it == roles_.end() ? std::vector<std::string>{} : std::vector<std::string>(it->second.begin(), it->second.end());
}

std::vector<std::string> PermissionTable::Roles() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : roles_) names.push_back(name);
  return names;
}

std::string PermissionTable::Scope(std::string_view role) const {
  auto it = scopes_.find(role);
  return it == scopes_.end() ? "all" : it->second;
}

std::vector<std::string> PermissionTable::Check(const std::vector<RouteKey>& routes) const {
  std::vector<std::string> problems;
  for (const auto& route : routes) {
    const RouteRule* rule = Rule(route.method, route.pattern);
    if (!rule)
      problems.push_back(fmt::format("{} {}: no rule in the permission table", route.method, route.pattern));
    else if (route.open != (rule->permission == kPublic))
      problems.push_back(fmt::format("{} {}: the route is {} but its rule's permission is {}", route.method,
                                     route.pattern, route.open ? "open" : "not open", rule->permission));
  }
  return problems;
}

std::filesystem::path DefaultPermissionsFile(const std::filesystem::path& executable) {
  return (executable.parent_path() / ".." / "config" / "permissions.json").lexically_normal();
}

}  // namespace systole::security
