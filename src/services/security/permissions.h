// The permission table: roles, their permissions, and for every HTTP route
// (method + router pattern) the permission it needs and the audit event class
// it records. Data, not code: loaded once at start from config/permissions.json
// and validated; the router's authenticator and audit hook consult it, nothing
// else decides access. Immutable after Parse: thread-safe.
//
// Special permissions: "public" (no sign-in; only for routes the router serves
// as open) and "authenticated" (any signed-in user, whatever the role).
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace systole::security {

struct RouteRule {
  std::string method;      // GET, POST, PUT, DELETE, PATCH
  std::string pattern;     // exactly as registered with the router, e.g. /dicomweb/studies/{study}
  std::string permission;  // a declared permission, "public" or "authenticated"
  std::string audit;       // audit event class (see AuditTrail), empty: not audited
};

struct RouteKey {
  std::string method, pattern;
  bool open = false;  // served without sign-in by the router
};

class PermissionTable {
 public:
  // kInvalidArgument naming the first problem: malformed JSON, a missing
  // required role, a role or route naming an undeclared permission, an unknown
  // audit class, a duplicate route.
  static Result<PermissionTable> Parse(std::string_view json);
  static Result<PermissionTable> Load(const std::filesystem::path& file);

  // The rule of a route, or nullptr when the table has none.
  const RouteRule* Rule(std::string_view method, std::string_view pattern) const;
  bool HasRole(std::string_view role) const { return roles_.contains(std::string(role)); }
  // Whether a user of `role` holds `permission` ("authenticated": any known role).
  bool Allows(std::string_view role, std::string_view permission) const;
  std::vector<std::string> Roles() const;
  // The permissions a role holds (empty for an unknown role).
  std::vector<std::string> Granted(std::string_view role) const;
  // The data scope of a role (the "scopes" object): "all" (every study, narrowed by
  // a user's institutions), "own_patients" (referring physicians), "assigned" (AI
  // services), "share" (share-link sessions) or "none". Roles not listed: "all".
  std::string Scope(std::string_view role) const;

  // The DIMSE services a DICOM peer's role is checked for (C-ECHO, C-STORE, C-FIND, C-GET, C-MOVE,
  // MWL-FIND): the table must give each a permission ("dicom_services").
  static const std::vector<std::string>& DicomServices();
  // The permission a DIMSE service needs (nullptr: not a known service).
  const std::string* DicomServicePermission(std::string_view service) const;
  // Whether a DICOM peer of `role` may use `service` (unknown service: no).
  bool AllowsDicom(std::string_view role, std::string_view service) const;

  // Every route lacking a rule, or whose openness disagrees with its rule
  // (open ⇔ "public"), as "METHOD pattern: problem". Empty when all is well.
  std::vector<std::string> Check(const std::vector<RouteKey>& routes) const;

 private:
  std::map<std::string, std::set<std::string>, std::less<>> roles_;
  std::map<std::pair<std::string, std::string>, RouteRule> routes_;
  std::map<std::string, std::string, std::less<>> scopes_;
  std::map<std::string, std::string, std::less<>> dicom_services_;
};

// The default file: <directory of the binary>/../config/permissions.json.
std::filesystem::path DefaultPermissionsFile(const std::filesystem::path& executable);

}  // namespace systole::security
