#include "server/wiring.h"

#include <fstream>

#include "adapters/fs/fs_blob_store.h"
#include "adapters/sqlite/sqlite_deliveries.h"
#include "adapters/sqlite/sqlite_index.h"
#include "base/log.h"
#include "services/reporting/study_body_reader.h"
#include "protocols/hl7/oru_sender.h"
#include "services/delivery/archive_sender.h"
#include "adapters/sqlite/sqlite_security.h"
#include "adapters/web_fetch/url_fetch.h"
#include "adapters/sqlite/sqlite_access_grants.h"
#include "adapters/syslog/syslog_forwarder.h"

namespace systole::server {
namespace {

// Reconciles the study of a stored instance with the orders, from the header ingest already read.
Status Reconcile(services::ReconciliationService& recon, const services::IngestOutcome& outcome) {
  auto known = recon.Known(outcome.study_instance_uid);
  if (!known) return std::unexpected(known.error());
  if (*known) return {};
  return recon.StudyStored(outcome.study_instance_uid, outcome.patient, outcome.accession_number);
}

}  // namespace

struct Archive::Adapters {
  std::unique_ptr<adapters::FsBlobStore> blobs;
  std::unique_ptr<adapters::SqliteIndex> index;
  std::unique_ptr<adapters::SqliteDeliveryQueue> deliveries;
};

Archive::~Archive() = default;

Result<std::unique_ptr<Archive>> Archive::Open(const Config& config) {
  std::unique_ptr<Archive> archive(new Archive);
  archive->adapters_ = std::make_unique<Adapters>();
  auto blobs = adapters::FsBlobStore::Open(config.data_dir / "blobs");
  if (!blobs) return std::unexpected(blobs.error());
  auto index = adapters::SqliteIndex::Open(config.data_dir / "index.db", config.index_max_connections);
  if (!index) return std::unexpected(index.error());
  archive->adapters_->blobs = std::move(*blobs);
  archive->adapters_->index = std::move(*index);
  // The SQLite index is also the measurement store (same database).
  archive->ingest_ = std::make_unique<services::IngestService>(*archive->adapters_->index, *archive->adapters_->blobs,
                                                               archive->clock_, config.ingest,
                                                               archive->adapters_->index.get());
  // Retrieves serve the index's current patient module for corrected studies (IHE PIR).
  archive->query_ = std::make_unique<services::QueryService>(*archive->adapters_->index, *archive->adapters_->blobs,
                                                             config.query_max_results, archive->adapters_->index.get());
  archive->reconciliation_ =
      std::make_unique<services::ReconciliationService>(*archive->adapters_->index, *archive->adapters_->index);
  archive->cine_ = std::make_unique<services::CineService>(config.cine);
  // The frame table of every stored instance is built at ingest, while its file is in the page cache.
  // A study's first instance is reconciled with the orders (its header read once).
  archive->ingest_->OnStored([cine = archive->cine_.get(), recon = archive->reconciliation_.get()](
                                 const services::IngestOutcome& outcome, const std::filesystem::path& path) {
    cine->Prepare(path);
    if (auto done = Reconcile(*recon, outcome); !done)
      LOG_ERROR("reconcile", "study {} not reconciled: {}", outcome.study_instance_uid, done.error().message);
  });
  auto& index_ref = *archive->adapters_->index;
  archive->identity_ = std::make_unique<services::IdentityService>(index_ref, index_ref, index_ref, archive->clock_);
  // An order or ADT may be what a waiting (orphan, mismatch) study needed.
  archive->identity_->OnChanged([recon = archive->reconciliation_.get()] {
    if (auto retried = recon->Retry(); !retried)
      LOG_ERROR("reconcile", "waiting studies not reconciled again: {}", retried.error().message);
  });
  archive->measurements_ =
      std::make_unique<services::MeasurementService>(*archive->adapters_->index, *archive->adapters_->index);
  // Reporting: templates and the concept map are data, validated here (a bad file stops start-up).
  std::error_code exe_error;
  const auto templates_dir = ResolveTemplatesDir(config, std::filesystem::read_symlink("/proc/self/exe", exe_error));
  auto templates = services::LoadTemplates(templates_dir);
  if (!templates) return std::unexpected(templates.error());
  auto concept_map = services::ConceptMap::Load(templates_dir / "concept_map.csv");
  if (!concept_map) return std::unexpected(concept_map.error());
  archive->reports_ = std::make_unique<services::ReportService>(
      index_ref, index_ref, index_ref, *archive->measurements_, std::move(*templates), std::move(*concept_map),
      services::MakeStudyBodyReader(index_ref, *archive->adapters_->blobs), archive->clock_, config.reporting);
  archive->report_catalog_ = std::make_unique<services::SignedReportCatalog>(index_ref);
  SYSTOLE_RETURN_IF_ERROR(archive->WireDelivery(config));
  auto security = Security::Open(config);
  if (!security) return std::unexpected(security.error());
  archive->security_ = std::move(*security);
  // Who sees which study: scopes from the role table and the grants; share links.
  archive->scopes_ = std::make_unique<scope::ScopeService>(
      archive->security_->grants(), index_ref, archive->security_->permissions(), archive->clock_,
      scope::ScopeConfig{std::chrono::milliseconds(static_cast<std::int64_t>(config.break_glass_minutes * 60000))});
  archive->shares_ = std::make_unique<scope::ShareService>(archive->security_->grants(), index_ref,
                                                           archive->security_->audit(), archive->clock_,
                                                           scope::ShareConfig{config.share_max_hours,
                                                                              config.share_pin_attempts});
  return archive;
}

// Report delivery: the durable queue (same database), the archive and every HL7 destination.
Status Archive::WireDelivery(const Config& config) {
  auto deliveries = adapters::SqliteDeliveryQueue::Open(config.data_dir / "index.db");
  if (!deliveries) return std::unexpected(deliveries.error());
  adapters_->deliveries = std::move(*deliveries);
  delivery_ = std::make_unique<services::DeliveryService>(*adapters_->deliveries, clock_, config.delivery);
  delivery_->AddDestination(services::kArchiveDestination, services::ArchiveSender(*ingest_, {}));
  for (auto destination : config.delivery_hl7_destinations) {
    if (destination.receiving_application.empty()) destination.receiving_application = config.delivery_receiving_application;
    destination.receiving_facility = config.delivery_receiving_facility;
    destination.tls_files = config.delivery_hl7_tls;
    const std::string name = destination.name;
    delivery_->AddDestination(name, hl7::Hl7Sender(std::move(destination), config.delivery_sending_application, clock_));
  }
  // Every signed version (final or addendum) goes to the archive and every HL7 destination.
  reports_->OnSigned([d = delivery_.get()](const domain::ReportDocument& doc) {
    if (auto queued = d->Enqueue(doc); !queued)
      LOG_ERROR("delivery", "report {} v{} not queued for delivery: {}", doc.report_id, doc.version, queued.error().message);
  });
  return {};
}

struct Security::Store {
  std::unique_ptr<adapters::SqliteSecurityStore> sqlite;
  std::unique_ptr<adapters::SqliteAccessGrants> grants;
  std::unique_ptr<adapters::SyslogForwarder> syslog;  // audit.syslog_host set: a copy of every audit record
};

ports::AccessGrants& Security::grants() { return *store_->grants; }

Security::~Security() = default;

Result<std::unique_ptr<Security>> Security::Open(const Config& config) {
  std::unique_ptr<Security> opened(new Security);
  std::error_code error;
  const auto file = config.permissions_file.empty()
                        ? security::DefaultPermissionsFile(std::filesystem::read_symlink("/proc/self/exe", error))
                        : config.permissions_file;
  auto permissions = security::PermissionTable::Load(file);
  if (!permissions) return std::unexpected(permissions.error());
  opened->permissions_ = std::make_unique<security::PermissionTable>(std::move(*permissions));
  std::filesystem::create_directories(config.data_dir, error);
  auto store = adapters::SqliteSecurityStore::Open(config.data_dir / "index.db");
  if (!store) return std::unexpected(store.error());
  auto grants = adapters::SqliteAccessGrants::Open(config.data_dir / "index.db");
  if (!grants) return std::unexpected(grants.error());
  opened->store_ = std::make_unique<Store>(Store{std::move(*store), std::move(*grants), nullptr});
  auto& s = *opened->store_->sqlite;
  security::SecurityPolicy policy{config.lockout_failures, std::chrono::minutes(config.lockout_minutes),
                                  std::chrono::minutes(config.session_idle_minutes),
                                  std::chrono::minutes(config.session_max_minutes),
                                  std::chrono::days(config.api_token_days)};
  opened->auth_ = std::make_unique<security::AuthService>(s, s, *opened->permissions_, opened->clock_, policy);
  opened->audit_ = std::make_unique<security::AuditTrail>(s, opened->clock_, config.dicom.ae_title);
  if (!config.oidc.issuer.empty()) {
    for (const auto& [value, role] : config.oidc.role_map)
      if (!opened->permissions_->HasRole(role))
        return Fail(ErrorCode::kInvalidArgument, "oidc.role_map: " + value + " maps to the unknown role " + role);
    security::JwksSource source = [url = config.oidc_jwks_url, file = config.oidc_jwks_file]() -> Result<std::string> {
      if (!url.empty()) return adapters::FetchUrl(url);
      std::ifstream in(file, std::ios::binary);
      if (!in) return Fail(ErrorCode::kNotFound, "oidc.jwks_file " + file.string() + ": cannot read");
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    opened->verifier_ = std::make_unique<security::TokenVerifier>(config.oidc, std::move(source), opened->clock_);
    opened->auth_->SetTokenVerifier(opened->verifier_.get());
  }
  if (!config.audit_syslog.host.empty()) {
    auto syslog = adapters::SyslogForwarder::Start(config.audit_syslog);
    if (!syslog) return std::unexpected(syslog.error());
    opened->store_->syslog = std::move(*syslog);
    opened->audit_->SetSink(opened->store_->syslog.get());
  }
  return opened;
}

ports::InstanceIndex& Archive::index() { return *adapters_->index; }
ports::BlobStore& Archive::blobs() { return *adapters_->blobs; }
ports::PatientDirectory& Archive::patients() { return *adapters_->index; }
ports::OrderBook& Archive::orders() { return *adapters_->index; }
ports::ReportStore& Archive::report_store() { return *adapters_->index; }

}  // namespace systole::server
