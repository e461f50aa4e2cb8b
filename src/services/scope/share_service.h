// ShareService: share links for one study (optionally its final report).
// A link carries a 256-bit random token; only its SHA-256 is stored. Opening
// it (with the PIN when it has one; wrong PINs are counted and the link dies at
// the limit) starts a share session: another random token whose principal sees
// exactly that study. Expired, revoked or exhausted links are "gone". Opening
// and PIN failures are recorded in the audit trail here (no route rule can: the
// requester is not signed in); creation, revocation and each access as the
// share principal are recorded by the access gate's observer. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "domain/scope.h"
#include "ports/access_grants.h"
#include "ports/study_index.h"
#include "services/security/audit_trail.h"

namespace systole::scope {

struct ShareConfig {
  double max_hours = 72;  // the longest expiry a share may ask for
  int pin_attempts = 5;   // wrong PINs that end a link
};

struct NewShare {
  std::string study;
  std::string recipient;
  bool report = false;
  bool download = false;
  std::string pin;               // empty: none
  double expires_in_hours = 72;  // > 0, ≤ ShareConfig::max_hours
  std::string created_by;
};

struct CreatedShare {
  domain::Share share;
  std::string token;  // give to the recipient; never stored
};

// The state of a link or a session.
enum class ShareState { kOpen, kNeedsPin, kWrongPin, kGone };

struct ShareAccess {
  ShareState state = ShareState::kGone;
  domain::Share share;        // unless the token is unknown
  std::string session_token;  // Open() → kOpen: the new session's token
  int attempts_left = 0;      // kWrongPin
};

// The requester of a share session, as the access gate names it.
std::string SharePrincipal(const domain::Share& share);   // "share:<id>"
std::string ShareRole(const domain::Share& share);        // "share.download" or "share"
domain::StudyScope ShareScope(const domain::Share& share);

class ShareService {
 public:
  ShareService(ports::AccessGrants& grants, ports::StudyQuery& studies, security::AuditTrail& audit,
               const Clock& clock, ShareConfig config)
      : grants_(grants), studies_(studies), audit_(audit), clock_(clock), config_(config) {}

  // kInvalidArgument: no recipient, expiry out of (0, max_hours], PIN shorter
  // than 4 characters; kNotFound: no such stored study.
  Result<CreatedShare> Create(const NewShare& request);
  Result<std::vector<domain::Share>> List(const std::string& study) { return grants_.ListShares(study); }
  // kNotFound for an unknown id. Revoking twice keeps the first time.
  Result<domain::Share> Revoke(const std::string& id);

  // What opening the link `token` would do (kOpen, kNeedsPin or kGone); nothing changes.
  Result<ShareAccess> Check(const std::string& token);
  // Opens the link: kOpen with a session token, kNeedsPin (no PIN given),
  // kWrongPin (counted, audited), or kGone. `remote`: for the audit record.
  Result<ShareAccess> Open(const std::string& token, const std::string& pin, const std::string& remote);
  // The share of a session token: kOpen, or kGone (expired, revoked; also unknown tokens).
  Result<ShareAccess> Session(const std::string& session_token);

 private:
  std::int64_t NowMs() const;
  bool Gone(const domain::Share& share) const;
  void Audit(const domain::Share& share, bool success, const std::string& remote, const std::string& what);

  ports::AccessGrants& grants_;
  ports::StudyQuery& studies_;
  security::AuditTrail& audit_;
  const Clock& clock_;
  ShareConfig config_;
};

}  // namespace systole::scope
