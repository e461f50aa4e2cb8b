// Data-level access: which studies a requester may see (StudyScope), and the
// records that widen a restricted scope: grants (AI assignments, patient links,
// user profile values, break-glass) and share links. Plain values; secrets
// appear only as hashes.
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace systole::domain {

// The studies a request may touch, resolved once per request by the access gate
// (services/scope). Query services filter by it; per-study routes answer 404
// outside it (existence is not revealed).
struct StudyScope {
  bool all = true;                    // every study; `studies` unused
  std::set<std::string> studies;      // !all: the visible StudyInstanceUIDs
  std::set<std::string> emergency;    // of those, visible only through an active break-glass grant
  bool reports = true;                // reports may be read at all
  bool final_reports_only = false;    // drafts and preliminary reports are hidden
  bool store_in_scope_only = false;   // stores only SR objects, only into a visible study (AI services)

  bool Allows(const std::string& study) const { return all || studies.contains(study); }
  bool Emergency(const std::string& study) const { return emergency.contains(study); }
};

// Kinds of grant (GrantStore rows).
inline constexpr const char* kGrantAssignment = "assignment";      // value: a study the AI user may read/write
inline constexpr const char* kGrantPatientLink = "patient_link";   // value: a PatientID the user may see
inline constexpr const char* kGrantReferringName = "referring_name";  // value: the user's ReferringPhysicianName
inline constexpr const char* kGrantInstitution = "institution";    // value: an InstitutionName the user is limited to
inline constexpr const char* kGrantBreakGlass = "break_glass";     // value: study UID, or "patient:<PatientID>"
inline constexpr const char* kGrantShareSession = "share_session";  // user: session token hash, value: share id

struct Grant {
  std::int64_t id = 0;          // assigned by the store
  std::string kind;
  std::string user;
  std::string value;
  std::string reason;           // break-glass: why
  std::string created_by;
  std::int64_t created_at = 0;  // unix milliseconds
  std::int64_t expires_at = 0;  // unix milliseconds; 0: never
};

// A share link: one study (optionally its final report) for a recipient,
// expiring, revocable, optionally behind a PIN.
struct Share {
  std::string id;               // public handle (revocation, listing)
  std::string token_hash;       // hex SHA-256 of the link token
  std::string study;
  std::string recipient;
  bool report = false;
  bool download = false;
  std::string pin_hash;         // Argon2id; empty: no PIN
  int failed_pins = 0;
  std::string created_by;
  std::int64_t created_at = 0;  // unix milliseconds
  std::int64_t expires_at = 0;
  std::int64_t revoked_at = 0;  // 0: not revoked
};

}  // namespace systole::domain
