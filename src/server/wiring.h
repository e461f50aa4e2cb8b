// The one composition root: the only place that names concrete adapters.
#pragma once

#include <memory>

#include "base/clock.h"
#include "ports/patient_directory.h"
#include "server/config.h"
#include "services/cine/cine_service.h"
#include "services/delivery/delivery_service.h"
#include "services/identity/identity_service.h"
#include "services/ingest/ingest_service.h"
#include "services/measurements/measurement_service.h"
#include "services/query/query_service.h"
#include "services/reconciliation/reconciliation_service.h"
#include "services/reporting/report_service.h"
#include "services/reporting/signed_report_catalog.h"
#include "services/security/audit_trail.h"
#include "services/security/auth_service.h"
#include "services/scope/scope_service.h"
#include "services/scope/share_service.h"

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
  // OpenID Connect bearer tokens; nullptr when oidc.issuer is empty.
  security::TokenVerifier* oidc() { return verifier_.get(); }
  // Grants and share links (services/scope), same database.
  ports::AccessGrants& grants();

 private:
  Security() = default;
  struct Store;
  std::unique_ptr<Store> store_;
  SystemClock clock_;
  std::unique_ptr<security::PermissionTable> permissions_;
  std::unique_ptr<security::AuthService> auth_;
  std::unique_ptr<security::AuditTrail> audit_;
  std::unique_ptr<security::TokenVerifier> verifier_;
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
  services::ReconciliationService& reconciliation() { return *reconciliation_; }
  services::ReportService& reports() { return *reports_; }
  ports::ReportCatalog& report_catalog() { return *report_catalog_; }
  services::DeliveryService& delivery() { return *delivery_; }
  ports::InstanceIndex& index();
  ports::BlobStore& blobs();
  ports::PatientDirectory& patients();
  ports::OrderBook& orders();
  ports::ReportStore& report_store();
  Security& security() { return *security_; }
  scope::ScopeService& scopes() { return *scopes_; }
  scope::ShareService& shares() { return *shares_; }

 private:
  Archive() = default;
  Status WireDelivery(const Config& config);
  struct Adapters;
  std::unique_ptr<Adapters> adapters_;
  SystemClock clock_;
  std::unique_ptr<services::IngestService> ingest_;
  std::unique_ptr<services::QueryService> query_;
  std::unique_ptr<services::CineService> cine_;
  std::unique_ptr<services::IdentityService> identity_;
  std::unique_ptr<services::MeasurementService> measurements_;
  std::unique_ptr<services::ReconciliationService> reconciliation_;
  std::unique_ptr<services::ReportService> reports_;
  std::unique_ptr<services::SignedReportCatalog> report_catalog_;
  std::unique_ptr<services::DeliveryService> delivery_;  // after ingest_: its archive destination uses it
  std::unique_ptr<Security> security_;
  std::unique_ptr<scope::ScopeService> scopes_;
  std::unique_ptr<scope::ShareService> shares_;
};

}  // namespace systole::server
