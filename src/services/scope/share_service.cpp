#include "services/scope/share_service.h"

#include <algorithm>
#include <cmath>

#include "base/log.h"
#include "services/security/crypto.h"

namespace systole::scope {

std::string SharePrincipal(const domain::Share& share) { return "share:" + share.id; }
std::string ShareRole(const domain::Share& share) { return share.download ? "share.download" : "share"; }

domain::StudyScope ShareScope(const domain::Share& share) {
  domain::StudyScope scope;
  scope.all = false;
  scope.studies = {share.study};
  scope.reports = share.report;
  scope.final_reports_only = true;
  scope.store_in_scope_only = true;
  return scope;
}

std::int64_t ShareService::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
}

bool ShareService::Gone(const domain::Share& share) const {
  return share.revoked_at != 0 || share.expires_at <= NowMs() ||
         (!share.pin_hash.empty() && share.failed_pins >= config_.pin_attempts);
}

void ShareService::Audit(const domain::Share& share, bool success, const std::string& remote,
                         const std::string& what) {
  security::AuditEvent event;
  event.event_class = "share";
  event.success = success;
  event.user = SharePrincipal(share);
  event.role = ShareRole(share);
  event.remote = remote;
  event.action = what;
  event.study = share.study;
  event.detail = "recipient: " + share.recipient;
  if (auto recorded = audit_.Record(event); !recorded)
    LOG_ERROR("audit", "cannot record {} of share {}: {}", what, share.id, recorded.error().message);
}

Result<CreatedShare> ShareService::Create(const NewShare& request) {
  if (request.recipient.empty()) return Fail(ErrorCode::kInvalidArgument, "recipient: required");
  if (!std::isfinite(request.expires_in_hours) || request.expires_in_hours <= 0 ||
      request.expires_in_hours > config_.max_hours)
    return Fail(ErrorCode::kInvalidArgument,
                "expires_in_hours: expected a number above 0 and at most " + std::to_string(config_.max_hours));
  if (!request.pin.empty() && request.pin.size() < 4)
    return Fail(ErrorCode::kInvalidArgument, "pin: at least 4 characters");
  auto matcher = domain::ParseMatcher(domain::Attribute::StudyInstanceUID, request.study);
  if (request.study.empty() || !matcher) return Fail(ErrorCode::kInvalidArgument, "study: expected a Study Instance UID");
  domain::Query query;
  query.conditions.push_back({domain::Attribute::StudyInstanceUID, *matcher});
  auto rows = studies_.Find(query);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return Fail(ErrorCode::kNotFound, "no stored study " + request.study);
  CreatedShare created;
  created.token = security::RandomToken();
  auto& s = created.share;
  s.id = security::Sha256Hex(security::RandomToken()).substr(0, 16);
  s.token_hash = security::Sha256Hex(created.token);
  s.study = request.study;
  s.recipient = request.recipient;
  s.report = request.report;
  s.download = request.download;
  if (!request.pin.empty()) {
    auto hash = security::HashPassword(request.pin);
    if (!hash) return std::unexpected(hash.error());
    s.pin_hash = *hash;
  }
  s.created_by = request.created_by;
  s.created_at = NowMs();
  s.expires_at = s.created_at + static_cast<std::int64_t>(std::llround(request.expires_in_hours * 3600 * 1000));
  SYSTOLE_RETURN_IF_ERROR(grants_.AddShare(s));
  return created;
}

Result<domain::Share> ShareService::Revoke(const std::string& id) {
  auto share = grants_.FindShare(id);
  if (!share) return std::unexpected(share.error());
  if (share->revoked_at == 0) {
    share->revoked_at = NowMs();
    SYSTOLE_RETURN_IF_ERROR(grants_.UpdateShare(*share));
  }
  return share;
}

Result<ShareAccess> ShareService::Check(const std::string& token) {
  ShareAccess access;
  auto share = grants_.FindShareByToken(security::Sha256Hex(token));
  if (!share) {
    if (share.error().code == ErrorCode::kNotFound) return access;
    return std::unexpected(share.error());
  }
  access.share = *share;
  access.state = Gone(*share) ? ShareState::kGone : share->pin_hash.empty() ? ShareState::kOpen : ShareState::kNeedsPin;
  return access;
}

Result<ShareAccess> ShareService::Open(const std::string& token, const std::string& pin, const std::string& remote) {
  auto access = Check(token);
  if (!access || access->state == ShareState::kGone) return access;
  auto& share = access->share;
  if (access->state == ShareState::kNeedsPin) {
    if (pin.empty()) return access;
    if (!security::VerifyPassword(pin, share.pin_hash)) {
      ++share.failed_pins;
      SYSTOLE_RETURN_IF_ERROR(grants_.UpdateShare(share));
      Audit(share, false, remote, "share PIN refused");
      access->attempts_left = std::max(0, config_.pin_attempts - share.failed_pins);
      access->state = access->attempts_left == 0 ? ShareState::kGone : ShareState::kWrongPin;
      return access;
    }
  }
  access->session_token = security::RandomToken();
  domain::Grant session{0, domain::kGrantShareSession, security::Sha256Hex(access->session_token), share.id, "",
                        share.recipient, NowMs(), share.expires_at};
  auto added = grants_.AddGrant(session);
  if (!added) return std::unexpected(added.error());
  access->state = ShareState::kOpen;
  Audit(share, true, remote, "share link opened");
  return access;
}

Result<ShareAccess> ShareService::Session(const std::string& session_token) {
  ShareAccess access;
  auto sessions = grants_.ListGrants(domain::kGrantShareSession, security::Sha256Hex(session_token));
  if (!sessions) return std::unexpected(sessions.error());
  if (sessions->empty()) return access;
  auto share = grants_.FindShare(sessions->front().value);
  if (!share) {
    if (share.error().code == ErrorCode::kNotFound) return access;
    return std::unexpected(share.error());
  }
  access.share = *share;
  // A session outlives neither the link's expiry nor its revocation (PIN failures
  // after it was opened do not end it).
  access.state = share->revoked_at != 0 || share->expires_at <= NowMs() ? ShareState::kGone : ShareState::kOpen;
  return access;
}

}  // namespace systole::scope
