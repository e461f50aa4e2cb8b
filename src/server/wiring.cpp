#include "server/wiring.h"

#include "adapters/fs/fs_blob_store.h"
#include "adapters/sqlite/sqlite_index.h"
#include "services/reporting/study_body_reader.h"

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
  return archive;
}

ports::InstanceIndex& Archive::index() { return *adapters_->index; }
ports::BlobStore& Archive::blobs() { return *adapters_->blobs; }

}  // namespace systole::server
