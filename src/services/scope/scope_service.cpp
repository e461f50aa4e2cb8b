#include "services/scope/scope_service.h"

#include <algorithm>

namespace systole::scope {
namespace {

using domain::Attribute;
using domain::Level;

constexpr const char* kPatientPrefix = "patient:";

}  // namespace

std::int64_t ScopeService::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
}

Result<std::set<std::string>> ScopeService::StudiesWhere(Level level, Attribute attribute, const std::string& value) {
  std::set<std::string> studies;
  if (value.empty()) return studies;  // an empty value would match everything
  auto matcher = domain::ParseMatcher(attribute, value);
  if (!matcher) return studies;  // a value this attribute cannot take matches nothing
  domain::Query query;
  query.level = level;
  query.conditions.push_back({attribute, *matcher});
  auto rows = studies_.Find(query);
  if (!rows) return std::unexpected(rows.error());
  for (const auto& row : *rows) studies.insert(row[static_cast<std::size_t>(Attribute::StudyInstanceUID)]);
  return studies;
}

Result<domain::StudyScope> ScopeService::Resolve(const std::string& user, const std::string& role) {
  domain::StudyScope scope;
  const std::string kind = permissions_.Scope(role);
  auto institutions = grants_.ListGrants(domain::kGrantInstitution, user);
  if (!institutions) return std::unexpected(institutions.error());
  if (kind == "all" && institutions->empty()) return scope;
  scope.all = false;
  auto add = [&](Level level, Attribute attribute, const std::string& value, std::set<std::string>& into) -> Status {
    auto found = StudiesWhere(level, attribute, value);
    if (!found) return std::unexpected(found.error());
    into.insert(found->begin(), found->end());
    return {};
  };
  std::set<std::string> site;
  for (const auto& g : *institutions) SYSTOLE_RETURN_IF_ERROR(add(Level::kSeries, Attribute::InstitutionName, g.value, site));
  if (kind == "all") {
    scope.studies = std::move(site);
  } else {
    if (kind == "own_patients") {
      scope.final_reports_only = true;
      for (const char* grant_kind : {domain::kGrantReferringName, domain::kGrantPatientLink}) {
        auto grants = grants_.ListGrants(grant_kind, user);
        if (!grants) return std::unexpected(grants.error());
        const auto attribute = grant_kind == domain::kGrantPatientLink ? Attribute::PatientID
                                                                      : Attribute::ReferringPhysicianName;
        for (const auto& g : *grants) SYSTOLE_RETURN_IF_ERROR(add(Level::kStudy, attribute, g.value, scope.studies));
      }
    } else if (kind == "assigned") {
      scope.store_in_scope_only = true;
      auto grants = grants_.ListGrants(domain::kGrantAssignment, user);
      if (!grants) return std::unexpected(grants.error());
      for (const auto& g : *grants) scope.studies.insert(g.value);
    }
    if (!institutions->empty())
      std::erase_if(scope.studies, [&](const std::string& study) { return !site.contains(study); });
  }
  SYSTOLE_RETURN_IF_ERROR(AddGranted(user, scope));
  return scope;
}

Status ScopeService::AddGranted(const std::string& user, domain::StudyScope& scope) {
  auto grants = grants_.ListGrants(domain::kGrantBreakGlass, user);
  if (!grants) return std::unexpected(grants.error());
  const std::int64_t now = NowMs();
  for (const auto& g : *grants) {
    if (g.expires_at <= now) continue;
    std::set<std::string> studies;
    if (g.value.starts_with(kPatientPrefix)) {
      auto found = StudiesWhere(Level::kStudy, Attribute::PatientID, g.value.substr(std::string_view(kPatientPrefix).size()));
      if (!found) return std::unexpected(found.error());
      studies = std::move(*found);
    } else {
      studies.insert(g.value);
    }
    for (const auto& study : studies)
      if (scope.studies.insert(study).second) scope.emergency.insert(study);
  }
  return {};
}

Status ScopeService::Grant(const std::string& kind, const std::string& user, const std::string& value,
                           const std::string& by) {
  if (user.empty() || value.empty()) return Fail(ErrorCode::kInvalidArgument, "a user and a value are required");
  if (kind == domain::kGrantAssignment) {
    auto found = StudiesWhere(Level::kStudy, Attribute::StudyInstanceUID, value);
    if (!found) return std::unexpected(found.error());
    if (found->empty()) return Fail(ErrorCode::kNotFound, "no stored study " + value);
  }
  auto existing = grants_.ListGrants(kind, user);
  if (!existing) return std::unexpected(existing.error());
  if (std::ranges::any_of(*existing, [&](const auto& g) { return g.value == value; })) return {};
  domain::Grant grant{0, kind, user, value, "", by, NowMs(), 0};
  auto added = grants_.AddGrant(grant);
  if (!added) return std::unexpected(added.error());
  return {};
}

Status ScopeService::Revoke(const std::string& kind, const std::string& user, const std::string& value) {
  auto removed = grants_.RemoveGrants(kind, user, value);
  if (!removed) return std::unexpected(removed.error());
  if (*removed == 0) return Fail(ErrorCode::kNotFound, "no such " + kind);
  return {};
}

Result<domain::Grant> ScopeService::BreakGlass(const std::string& user, const std::string& role,
                                               const std::string& study, const std::string& patient,
                                               const std::string& reason) {
  if (reason.size() < config_.min_reason_length)
    return Fail(ErrorCode::kInvalidArgument,
                "a reason of at least " + std::to_string(config_.min_reason_length) + " characters is required");
  if (study.empty() && patient.empty()) return Fail(ErrorCode::kInvalidArgument, "name a study or a patient");
  auto targets = study.empty() ? StudiesWhere(Level::kStudy, Attribute::PatientID, patient)
                               : StudiesWhere(Level::kStudy, Attribute::StudyInstanceUID, study);
  if (!targets) return std::unexpected(targets.error());
  if (targets->empty()) return Fail(ErrorCode::kNotFound, "no stored study for this request");
  auto current = Resolve(user, role);
  if (!current) return std::unexpected(current.error());
  if (std::ranges::all_of(*targets, [&](const auto& s) { return current->Allows(s) && !current->Emergency(s); }))
    return Fail(ErrorCode::kAlreadyExists, "your access already covers this; no emergency access is needed");
  const std::int64_t now = NowMs();
  domain::Grant grant{0, domain::kGrantBreakGlass, user, study.empty() ? kPatientPrefix + patient : study,
                      reason, user, now, now + config_.break_glass.count()};
  auto id = grants_.AddGrant(grant);
  if (!id) return std::unexpected(id.error());
  grant.id = *id;
  return grant;
}

Result<std::vector<domain::Grant>> ScopeService::BreakGlassLog() {
  auto grants = grants_.ListGrants(domain::kGrantBreakGlass, "");
  if (!grants) return std::unexpected(grants.error());
  std::ranges::reverse(*grants);
  return grants;
}

std::string ScopeService::PatientOf(const std::string& study) {
  auto matcher = domain::ParseMatcher(Attribute::StudyInstanceUID, study);
  if (study.empty() || !matcher) return "";
  domain::Query query;
  query.conditions.push_back({Attribute::StudyInstanceUID, *matcher});
  auto rows = studies_.Find(query);
  if (!rows || rows->empty()) return "";
  return rows->front()[static_cast<std::size_t>(Attribute::PatientID)];
}

Status SetUserProfile(ports::AccessGrants& grants, const std::string& user, const std::string& referring_name,
                      const std::vector<std::string>& institutions, const Actor& by) {
  for (const char* kind : {domain::kGrantReferringName, domain::kGrantInstitution}) {
    auto old = grants.ListGrants(kind, user);
    if (!old) return std::unexpected(old.error());
    for (const auto& g : *old) {
      auto removed = grants.RemoveGrants(kind, user, g.value);
      if (!removed) return std::unexpected(removed.error());
    }
  }
  std::vector<std::pair<const char*, std::string>> values;
  if (!referring_name.empty()) values.emplace_back(domain::kGrantReferringName, referring_name);
  for (const auto& institution : institutions)
    if (!institution.empty()) values.emplace_back(domain::kGrantInstitution, institution);
  for (const auto& [kind, value] : values) {
    auto added = grants.AddGrant({0, kind, user, value, "", by.user, by.now_ms, 0});
    if (!added) return std::unexpected(added.error());
  }
  return {};
}

}  // namespace systole::scope
