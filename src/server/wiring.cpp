#include "server/wiring.h"

#include "adapters/fs/fs_blob_store.h"
#include "adapters/sqlite/sqlite_deliveries.h"
#include "adapters/sqlite/sqlite_index.h"
#include "protocols/hl7/oru_sender.h"
#include "services/delivery/archive_sender.h"

namespace systole::server {

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
  SYSTOLE_RETURN_IF_ERROR(archive->WireDelivery(config));
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
    const std::string name = destination.name;
    delivery_->AddDestination(name, hl7::Hl7Sender(std::move(destination), config.delivery_sending_application, clock_));
  }
  // TODO(merge): reporting_->OnSigned([d = delivery_.get()](const domain::ReportDocument& doc) { (void)d->Enqueue(doc); });
  return {};
}

ports::InstanceIndex& Archive::index() { return *adapters_->index; }
ports::BlobStore& Archive::blobs() { return *adapters_->blobs; }

}  // namespace systole::server
