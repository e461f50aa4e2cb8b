// Security records: users, sessions (browser sessions and API tokens) and audit
// records. Plain values; secrets never appear in clear (only hashes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace systole::domain {

struct User {
  std::string name;           // unique sign-in name
  std::string role;           // a role of the permission table (admin, cardiologist, …)
  std::string password_hash;  // Argon2id string (libsodium crypto_pwhash_str); empty: no password sign-in
  int failed_logins = 0;      // consecutive failures since the last success
  std::int64_t locked_until = 0;  // unix seconds; sign-in refused before
  std::int64_t created_at = 0;
};

// A sign-in: a browser session (cookie) or an API token (bearer). Only the
// SHA-256 of the token is kept.
struct Session {
  std::string token_hash;  // hex SHA-256 of the random token
  std::string user;
  std::string kind;        // "session" or "api"
  std::int64_t created_at = 0;
  std::int64_t last_seen_at = 0;
  std::string label;       // API tokens: what it is for
};

// One audit event, stored append-only with a hash chain:
// hash = SHA-256(prev_hash ‖ canonical record) (see services/security/audit_trail.h).
struct AuditRecord {
  std::int64_t seq = 0;          // 1, 2, … in append order
  std::int64_t recorded_at = 0;  // unix milliseconds
  std::string user;
  std::string patient;           // PatientID when known
  std::string study;             // StudyInstanceUID when known
  std::string message;           // the DICOM Audit Message (PS3.15 A.5) as JSON
  std::string prev_hash;
  std::string hash;
};

struct AuditFilter {
  std::string user, patient, study;      // empty: any
  std::optional<std::int64_t> from, to;  // unix milliseconds, inclusive
  std::size_t limit = 1000;
};

}  // namespace systole::domain
