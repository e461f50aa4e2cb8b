// DimseServer: Systole's DICOM upper-layer service provider (DCMTK).
//
// Accepts associations on one TCP port and serves, each association on its own
// worker thread (bounded by max_associations):
//   C-ECHO; C-STORE for every storage SOP class proposed (through ingest);
//   C-FIND, C-GET and C-MOVE in the Patient Root and Study Root models
//   (through query); C-MOVE only to configured peers; C-FIND in the Modality
//   Worklist model (through identity, when given).
// Start() binds and returns the port (0 in the config = any free port);
// Stop() stops accepting, lets running associations finish for drain_timeout,
// then aborts the rest. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocols/tls/tls_context.h"
#include "services/identity/identity_service.h"
#include "services/ingest/ingest_service.h"
#include "services/query/query_service.h"

namespace systole::protocols {

struct DicomPeer {
  std::string ae_title;
  std::string host;    // empty: any host (for allowed_peers entries)
  std::uint16_t port = 0;
  // allowed_peers over TLS: the subject CN the peer's certificate must carry; empty: any trusted certificate.
  std::string certificate_cn;
  // allowed_peers: the peer's role in the permission table (empty: DimseConfig::default_peer_role).
  std::string role;
};

struct DimseConfig {
  std::string ae_title = "SYSTOLE";
  std::uint16_t port = 11112;       // on every interface: DCMTK 3.6.7 cannot bind one address
  std::size_t max_associations = 16;
  std::uint32_t max_pdu = 131072;
  std::chrono::seconds dimse_timeout{60};       // for one message's data
  std::chrono::seconds idle_timeout{300};       // an association with no request for this long is aborted
  std::chrono::seconds drain_timeout{30};       // on Stop()
  bool check_called_ae = false;                 // refuse associations to another called AE title
  std::vector<DicomPeer> allowed_peers;         // empty: any calling AE (with a warning)
  std::vector<DicomPeer> move_destinations;     // C-MOVE destinations (AE → host:port)
  // Which DIMSE services (see dimse::ServiceOf: C-ECHO, C-STORE, C-FIND, C-GET, C-MOVE, MWL-FIND) a
  // peer's role may use; presentation contexts of the others are refused at negotiation. Empty:
  // every service. A peer's role is its allowed_peers entry's, else default_peer_role.
  std::function<bool(const std::string& role, const std::string& service)> authorize;
  std::string default_peer_role = "dicom_node";
  // cert + key given: this listener speaks DICOM TLS only (plain associations fail in the handshake);
  // verify_peer: a client certificate from `ca` is required.
  tls::TlsFiles tls;
};

class DimseServer {
 public:
  // `identity` may be nullptr: the Modality Worklist model is then refused.
  DimseServer(DimseConfig config, services::IngestService& ingest, services::QueryService& query,
              services::IdentityService* identity = nullptr);
  ~DimseServer();
  DimseServer(const DimseServer&) = delete;
  DimseServer& operator=(const DimseServer&) = delete;

  // Binds the listening socket and starts the accept thread. Returns the
  // bound port. kUnavailable if the port cannot be bound, kInvalidArgument
  // for unusable TLS files.
  Result<std::uint16_t> Start();

  // Stops accepting, drains running associations (see DimseConfig), joins all
  // threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace systole::protocols
