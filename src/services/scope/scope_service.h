// ScopeService: which studies a user may see, resolved from data — the role's
// scope kind in the permission table ("all", "own_patients", "assigned",
// "share", "none") and the user's grants (ports::AccessGrants):
//   all           every study; with institution grants only studies with a
//                 series from one of those institutions (InstitutionName);
//   own_patients  studies whose ReferringPhysicianName is the user's
//                 referring_name grant, and studies of linked patients; only
//                 final reports;
//   assigned      studies assigned to the user (AI services); stores only
//                 into them;
//   share, none   nothing (share sessions get their scope from ShareService).
// An active break-glass grant adds its study (or the patient's studies) on top,
// marked as emergency access. Also manages those grants. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/clock.h"
#include "domain/scope.h"
#include "ports/access_grants.h"
#include "ports/study_index.h"
#include "services/security/permissions.h"

namespace systole::scope {

struct ScopeConfig {
  std::chrono::milliseconds break_glass{std::chrono::minutes(60)};  // how long emergency access lasts
  std::size_t min_reason_length = 10;
};

// Who set a grant, and when.
struct Actor {
  std::string user;
  std::int64_t now_ms = 0;
};

class ScopeService {
 public:
  ScopeService(ports::AccessGrants& grants, ports::StudyQuery& studies, const security::PermissionTable& permissions,
               const Clock& clock, ScopeConfig config)
      : grants_(grants), studies_(studies), permissions_(permissions), clock_(clock), config_(config) {}

  // The scope of `user` with `role` now. Store errors only.
  Result<domain::StudyScope> Resolve(const std::string& user, const std::string& role);

  // Grants a user `kind` (kGrantAssignment: a study; kGrantPatientLink: a PatientID).
  // kNotFound when no stored study/patient matches; kInvalidArgument for an empty user.
  Status Grant(const std::string& kind, const std::string& user, const std::string& value, const std::string& by);
  // kNotFound when the user had no such grant.
  Status Revoke(const std::string& kind, const std::string& user, const std::string& value);
  Result<std::vector<domain::Grant>> Grants(const std::string& kind, const std::string& user) {
    return grants_.ListGrants(kind, user);
  }

  // Emergency access to a study (or, `study` empty, to every study of `patient`)
  // for config.break_glass. kInvalidArgument: no reason (shorter than
  // min_reason_length) or neither study nor patient; kNotFound: nothing stored
  // under them; kAlreadyExists: the user's scope already covers them.
  Result<domain::Grant> BreakGlass(const std::string& user, const std::string& role, const std::string& study,
                                   const std::string& patient, const std::string& reason);
  // Every break-glass grant, newest first.
  Result<std::vector<domain::Grant>> BreakGlassLog();

  // The PatientID of a stored study, "" when unknown.
  std::string PatientOf(const std::string& study);

  std::int64_t NowMs() const;

 private:
  Result<std::set<std::string>> StudiesWhere(domain::Level level, domain::Attribute attribute, const std::string& value);
  Status AddGranted(const std::string& user, domain::StudyScope& scope);

  ports::AccessGrants& grants_;
  ports::StudyQuery& studies_;
  const security::PermissionTable& permissions_;
  const Clock& clock_;
  ScopeConfig config_;
};

// Sets a user's profile grants: the ReferringPhysicianName that makes studies
// "their patients'" (empty: none) and the institutions they are limited to
// (empty: none). Replaces earlier values.
Status SetUserProfile(ports::AccessGrants& grants, const std::string& user, const std::string& referring_name,
                      const std::vector<std::string>& institutions, const Actor& by);

}  // namespace systole::scope
