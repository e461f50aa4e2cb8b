// The one composition root: the only place that names concrete adapters.
#pragma once

#include <memory>

#include "base/clock.h"
#include "server/config.h"
#include "services/cine/cine_service.h"
#include "services/identity/identity_service.h"
#include "services/ingest/ingest_service.h"
#include "services/measurements/measurement_service.h"
#include "services/query/query_service.h"
#include "services/security/audit_trail.h"
#include "services/security/auth_service.h"

namespace systole::server {

// Users, sign-ins, permissions and the audit trail (SQLite tables in the
// index database): used by serve (inside Archive) and by the admin commands.
class Security {
 public:
  // Loads and validates the permission table (security.permissions_file, else
  // beside the binary) and opens the store. kInvalidArgument/kNotFound for a bad
  // or missing table.
  static Result<std::unique_ptr<Security>> Open(const Config& config);
  ~Security();

  security::AuthService& auth() { return *auth_; }
  security::AuditTrail& audit() { return *audit_; }
  const security::PermissionTable& permissions() const { return *permissions_; }

 private:
  Security() = default;
  struct Store;
  std::unique_ptr<Store> store_;
  SystemClock clock_;
  std::unique_ptr<security::PermissionTable> permissions_;
  std::unique_ptr<security::AuthService> auth_;
  std::unique_ptr<security::AuditTrail> audit_;
};

// The object graph of one Systole process on the embedded default
// (SQLite index + filesystem blobs under data_dir).
class Archive {
 public:
  static Result<std::unique_ptr<Archive>> Open(const Config& config);
  ~Archive();

  services::IngestService& ingest() { return *ingest_; }
  services::QueryService& query() { return *query_; }
  services::CineService& cine() { return *cine_; }
  services::IdentityService& identity() { return *identity_; }
  services::MeasurementService& measurements() { return *measurements_; }
  ports::InstanceIndex& index();
  ports::BlobStore& blobs();
  Security& security() { return *security_; }

 private:
  Archive() = default;
  struct Adapters;
  std::unique_ptr<Adapters> adapters_;
  SystemClock clock_;
  std::unique_ptr<services::IngestService> ingest_;
  std::unique_ptr<services::QueryService> query_;
  std::unique_ptr<services::CineService> cine_;
  std::unique_ptr<services::IdentityService> identity_;
  std::unique_ptr<services::MeasurementService> measurements_;
  std::unique_ptr<Security> security_;
};

}  // namespace systole::server
