// The audit trail: one DICOM Audit Message (PS3.15 A.5, RFC 3881 structure, as
// JSON) per audited action, appended to ports::AuditStore with a hash chain:
// hash = SHA-256(prev_hash ‖ canonical record), prev_hash of the first record
// 64 zeros. Verify walks the chain and names the first modified or missing record.
// Thread-safe (appends are serialised; the store rejects a seq race from another
// process with kAlreadyExists and Record retries).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "ports/audit_sink.h"
#include "ports/security_store.h"

namespace systole::security {

// What happened, in the service's words. event_class is one of
// query, read, store, update, login, logout, audit, admin, share (a share link
// created, opened, refused or revoked) and emergency (break-glass started) (see KnownClass).
struct AuditEvent {
  std::string event_class;
  bool success = true;
  bool serious = false;   // a failure the system caused (5xx), not the requester
  std::string user;       // who asked ("" when nobody signed in)
  std::string role;
  std::string remote;     // peer address
  std::string action;     // what was asked, e.g. "GET /dicomweb/studies/1.2/metadata"
  std::string query;      // query parameters of a search, if any
  std::string patient;    // PatientID when known
  std::string study;      // StudyInstanceUID when known
  std::string series, instance;
  std::string subject;    // the user account a sign-in or an admin change is about
  bool emergency = false; // emergency (break-glass) access: flagged in the record
  std::string detail;     // free text worth keeping (a break-glass reason, a share's recipient)
};

struct AuditVerifyReport {
  std::size_t records = 0;
  std::optional<std::int64_t> first_bad_seq;  // nullopt: the chain is intact
  std::string problem;                        // e.g. "record 4 was modified"
};

class AuditTrail {
 public:
  AuditTrail(ports::AuditStore& store, const Clock& clock, std::string source_id)
      : store_(store), clock_(clock), source_id_(std::move(source_id)) {}

  static bool KnownClass(std::string_view event_class);

  // Appends one record, then hands it to the sink (if any). Store errors are returned (callers log them).
  Status Record(const AuditEvent& event);
  // A copy of every appended record goes to `sink` (e.g. syslog); nullptr: none. Set before serving.
  void SetSink(ports::AuditSink* sink) { sink_ = sink; }
  Result<AuditVerifyReport> Verify();
  Result<std::vector<domain::AuditRecord>> Search(const domain::AuditFilter& filter) { return store_.Search(filter); }

  // The canonical text a record's hash covers (everything but the hashes).
  static std::string Canonical(const domain::AuditRecord& record);

 private:
  ports::AuditStore& store_;
  const Clock& clock_;
  std::string source_id_;
  std::mutex mutex_;
  ports::AuditSink* sink_ = nullptr;
};

}  // namespace systole::security
