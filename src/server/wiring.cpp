#include "server/wiring.h"

#include "adapters/fs/fs_blob_store.h"
#include "adapters/sqlite/sqlite_index.h"
#include "adapters/sqlite/sqlite_security.h"

namespace systole::server {

struct Archive::Adapters {
  std::unique_ptr<adapters::FsBlobStore> blobs;
  std::unique_ptr<adapters::SqliteIndex> index;
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
  archive->query_ = std::make_unique<services::QueryService>(*archive->adapters_->index, *archive->adapters_->blobs,
                                                             config.query_max_results);
  archive->cine_ = std::make_unique<services::CineService>(config.cine);
  // The frame table of every stored instance is built at ingest, while its file is in the page cache.
  archive->ingest_->OnStored([cine = archive->cine_.get()](const services::IngestOutcome&, const std::filesystem::path& path) {
    cine->Prepare(path);
  });
  auto& index_ref = *archive->adapters_->index;
  archive->identity_ = std::make_unique<services::IdentityService>(index_ref, index_ref, index_ref, archive->clock_);
  archive->measurements_ =
      std::make_unique<services::MeasurementService>(*archive->adapters_->index, *archive->adapters_->index);
  auto security = Security::Open(config);
  if (!security) return std::unexpected(security.error());
  archive->security_ = std::move(*security);
  return archive;
}

struct Security::Store {
  std::unique_ptr<adapters::SqliteSecurityStore> sqlite;
};

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
  opened->store_ = std::make_unique<Store>(Store{std::move(*store)});
  auto& s = *opened->store_->sqlite;
  security::SecurityPolicy policy{config.lockout_failures, std::chrono::minutes(config.lockout_minutes),
                                  std::chrono::minutes(config.session_idle_minutes),
                                  std::chrono::minutes(config.session_max_minutes)};
  opened->auth_ = std::make_unique<security::AuthService>(s, s, *opened->permissions_, opened->clock_, policy);
  opened->audit_ = std::make_unique<security::AuditTrail>(s, opened->clock_, config.dicom.ae_title);
  return opened;
}

ports::InstanceIndex& Archive::index() { return *adapters_->index; }
ports::BlobStore& Archive::blobs() { return *adapters_->blobs; }

}  // namespace systole::server
