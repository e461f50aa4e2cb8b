#include "protocols/dimse/dimse_server.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dulstruc.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <list>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "base/thread.h"
#include "protocols/dimse/internal/association.h"
#include "protocols/dimse/internal/negotiation.h"
#include "protocols/dimse/internal/tls_layer.h"

namespace systole::protocols {

using dimse::AssociationContext;

namespace {

std::once_flag g_codecs_registered;

std::string Trim(const char* text) {
  std::string s(text);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// True if `host` (a name or address from configuration) resolves to `address`.
bool HostMatches(const std::string& host, const std::string& address) {
  if (host.empty() || host == address) return true;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  addrinfo* results = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &results) != 0) return false;
  bool match = false;
  for (addrinfo* r = results; r && !match; r = r->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr = r->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(r->ai_addr)->sin_addr)
                                               : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(r->ai_addr)->sin6_addr);
    if (inet_ntop(r->ai_family, addr, text, sizeof(text)) && address == text) match = true;
  }
  freeaddrinfo(results);
  return match;
}

}  // namespace

struct DimseServer::Impl {
  DimseConfig config;
  services::IngestService& ingest;
  services::QueryService& query;
  services::IdentityService* identity;

  T_ASC_Network* network = nullptr;
  std::unique_ptr<DcmTransportLayer> tls_layer;  // outlives `network`, which uses it
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  std::mutex mutex;
  std::condition_variable drained;
  std::size_t active = 0;  // associations being served (their threads are detached)

  Impl(DimseConfig c, services::IngestService& i, services::QueryService& q, services::IdentityService* id)
      : config(std::move(c)), ingest(i), query(q), identity(id) {}

  void AcceptLoop();
  void Refuse(T_ASC_Association* assoc, T_ASC_RejectParametersResult result, T_ASC_RejectParametersReason reason);
  // The allowed_peers entry the caller matches (nullptr: none); any caller when the list is empty.
  const DicomPeer* CallingPeer(const std::string& calling_ae, const std::string& host, const std::string& certificate_cn);
  void Serve(T_ASC_Association* assoc, const std::string& role);
};

void DimseServer::Impl::Refuse(T_ASC_Association* assoc, T_ASC_RejectParametersResult result,
                               T_ASC_RejectParametersReason reason) {
  T_ASC_RejectParameters rej{result, ASC_SOURCE_SERVICEUSER, reason};
  if (reason == ASC_REASON_SP_PRES_TEMPORARYCONGESTION || reason == ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED)
    rej.source = ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED;
  ASC_rejectAssociation(assoc, &rej);
  ASC_dropAssociation(assoc);
  ASC_destroyAssociation(&assoc);
}

const DicomPeer* DimseServer::Impl::CallingPeer(const std::string& calling_ae, const std::string& host,
                                                const std::string& certificate_cn) {
  static const DicomPeer kAnyPeer;
  if (config.allowed_peers.empty()) return &kAnyPeer;
  auto it = std::find_if(config.allowed_peers.begin(), config.allowed_peers.end(), [&](const DicomPeer& peer) {
    // A certificate subject is only checked on the TLS listener (a plain one has no certificate).
    const bool subject_ok = !tls_layer || peer.certificate_cn.empty() || peer.certificate_cn == certificate_cn;
    return peer.ae_title == calling_ae && HostMatches(peer.host, host) && subject_ok;
  });
  return it == config.allowed_peers.end() ? nullptr : &*it;
}

void DimseServer::Impl::AcceptLoop() {
  while (!stopping) {
    T_ASC_Association* assoc = nullptr;
    OFCondition cond = ASC_receiveAssociation(network, &assoc, config.max_pdu, nullptr, nullptr,
                                              tls_layer ? OFTrue : OFFalse, DUL_NOBLOCK, 1);
    if (cond == DUL_NOASSOCIATIONREQUEST) {
      if (assoc) ASC_destroyAssociation(&assoc);
      continue;
    }
    if (cond.bad()) {
      LOG_WARN("dimse", "association request{} could not be read: {}", tls_layer ? " (TLS port)" : "", cond.text());
      if (assoc) {
        ASC_dropAssociation(assoc);
        ASC_destroyAssociation(&assoc);
      }
      continue;
    }
    const std::string calling = Trim(assoc->params->DULparams.callingAPTitle);
    const std::string called = Trim(assoc->params->DULparams.calledAPTitle);
    const std::string host = assoc->params->DULparams.callingPresentationAddress;
    if (stopping) {
      Refuse(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_REASON_SP_PRES_TEMPORARYCONGESTION);
      break;
    }
    if (config.check_called_ae && called != config.ae_title) {
      LOG_WARN("dimse", "association from {}@{} refused: called AE title '{}' is not ours", calling, host, called);
      Refuse(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED);
      continue;
    }
    const std::string certificate_cn = tls_layer ? dimse::PeerCertificateCommonName(assoc) : std::string();
    const DicomPeer* peer = CallingPeer(calling, host, certificate_cn);
    if (!peer) {
      LOG_WARN("dimse", "association from {}@{} refused: calling AE title not in allowed_peers (or wrong host{})",
               calling, host, tls_layer ? fmt::format(", or certificate CN '{}' not the one configured", certificate_cn) : "");
      Refuse(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED);
      continue;
    }
    if (config.allowed_peers.empty())
      LOG_DEBUG("dimse", "association from {}@{} accepted: no allowed_peers configured, any AE may connect", calling, host);
    {
      std::lock_guard lock(mutex);
      if (active >= config.max_associations) {
        LOG_WARN("dimse", "association from {}@{} refused: {} associations already active", calling, host, active);
        Refuse(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
        continue;
      }
      ++active;
    }
    // Detached: a finished association frees its (large) stack at once; Stop()
    // waits for `active` to reach zero instead of joining.
    const std::string role = peer->role.empty() ? config.default_peer_role : peer->role;
    DeepStackThread([this, assoc, role] {
      Serve(assoc, role);
      std::lock_guard done(mutex);
      --active;
      drained.notify_all();
    }).detach();
  }
}

void DimseServer::Impl::Serve(T_ASC_Association* assoc, const std::string& role) {
  AssociationContext ctx;
  ctx.assoc = assoc;
  ctx.calling_ae = Trim(assoc->params->DULparams.callingAPTitle);
  ctx.called_ae = Trim(assoc->params->DULparams.calledAPTitle);
  ctx.peer_host = assoc->params->DULparams.callingPresentationAddress;
  ctx.config = &config;
  ctx.ingest = &ingest;
  ctx.query = &query;
  ctx.identity = identity;
  ctx.stopping = &stopping;

  ASC_setAPTitles(assoc->params, nullptr, nullptr, config.ae_title.c_str());
  std::vector<std::string> refused;
  auto allowed = [&](const std::string& service) {
    if (!config.authorize || config.authorize(role, service)) return true;
    if (std::find(refused.begin(), refused.end(), service) == refused.end()) refused.push_back(service);
    return false;
  };
  OFCondition cond = dimse::NegotiatePresentationContexts(assoc->params, identity != nullptr, allowed);
  if (!refused.empty())
    LOG_WARN("dimse", "association from {} (role {}): presentation contexts refused, the role may not use {}",
             ctx.Describe(), role, fmt::join(refused, ", "));
  if (cond.good()) cond = ASC_acknowledgeAssociation(assoc);
  if (cond.bad()) {
    LOG_WARN("dimse", "association from {} failed during negotiation: {}", ctx.Describe(), cond.text());
    ASC_dropAssociation(assoc);
    ASC_destroyAssociation(&assoc);
    return;
  }
  LOG_DEBUG("dimse", "association from {} accepted ({} presentation contexts)", ctx.Describe(),
            ASC_countAcceptedPresentationContexts(assoc->params));

  auto idle_started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point stop_seen{};
  bool released = false;
  while (true) {
    T_DIMSE_Message message{};
    T_ASC_PresentationContextID pres_id = 0;
    // Wait (up to 1 s, to notice shutdown and idleness) for the next command,
    // then read it in blocking mode: DCMTK's non-blocking reads poll and cost
    // ~0.3 ms per request.
    if (ASC_dataWaiting(assoc, 1)) {
      cond = DIMSE_receiveCommand(assoc, DIMSE_BLOCKING, 0, &pres_id, &message, nullptr);
    } else {
      cond = DIMSE_NODATAAVAILABLE;
    }
    if (cond == DIMSE_NODATAAVAILABLE) {
      const auto now = std::chrono::steady_clock::now();
      if (stopping) {
        if (stop_seen == std::chrono::steady_clock::time_point{}) stop_seen = now;
        if (now - stop_seen >= config.drain_timeout) {
          LOG_WARN("dimse", "aborting association from {}: server is stopping", ctx.Describe());
          break;
        }
      } else if (now - idle_started >= config.idle_timeout) {
        LOG_WARN("dimse", "aborting association from {}: idle for {} s", ctx.Describe(), config.idle_timeout.count());
        break;
      }
      continue;
    }
    if (cond == DUL_PEERREQUESTEDRELEASE) {
      ASC_acknowledgeRelease(assoc);
      released = true;
      break;
    }
    if (cond == DUL_PEERABORTEDASSOCIATION) {
      released = true;  // nothing to send back
      break;
    }
    if (cond.bad()) {
      LOG_WARN("dimse", "association from {}: cannot read command: {}", ctx.Describe(), cond.text());
      break;
    }
    switch (message.CommandField) {
      case DIMSE_C_ECHO_RQ: cond = dimse::HandleEcho(ctx, message.msg.CEchoRQ, pres_id); break;
      case DIMSE_C_STORE_RQ: cond = dimse::HandleStore(ctx, message.msg.CStoreRQ, pres_id); break;
      case DIMSE_C_FIND_RQ: cond = dimse::HandleFind(ctx, message.msg.CFindRQ, pres_id); break;
      case DIMSE_C_GET_RQ: cond = dimse::HandleGet(ctx, message.msg.CGetRQ, pres_id); break;
      case DIMSE_C_MOVE_RQ: cond = dimse::HandleMove(ctx, message.msg.CMoveRQ, pres_id); break;
      case DIMSE_C_CANCEL_RQ: cond = EC_Normal; break;  // nothing in progress to cancel
      default:
        LOG_WARN("dimse", "association from {}: unsupported DIMSE command 0x{:04X}", ctx.Describe(),
                 static_cast<unsigned>(message.CommandField));
        cond = DIMSE_BADCOMMANDTYPE;
    }
    if (cond.bad()) break;
    idle_started = std::chrono::steady_clock::now();
  }
  if (!released) ASC_abortAssociation(assoc);
  ASC_dropSCPAssociation(assoc);
  ASC_destroyAssociation(&assoc);
}

DimseServer::DimseServer(DimseConfig config, services::IngestService& ingest, services::QueryService& query,
                         services::IdentityService* identity)
    : impl_(std::make_unique<Impl>(std::move(config), ingest, query, identity)) {}

DimseServer::~DimseServer() { Stop(); }

Result<std::uint16_t> DimseServer::Start() {
  std::call_once(g_codecs_registered, [] {
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
  // DCMTK leaves Nagle's algorithm on unless TCP_NODELAY is set in the
  // environment; with it on, every small DIMSE response waits ~40 ms.
  ::setenv("TCP_NODELAY", "1", 1);
  // Log and match peers by address; a reverse DNS lookup per association is slow and spoofable.
  dcmDisableGethostbyaddr.set(OFTrue);
  if (tls::Configured(impl_->config.tls)) {
    auto layer = dimse::MakeTlsAcceptorLayer(impl_->config.tls);
    if (!layer) return std::unexpected(layer.error());
    impl_->tls_layer = std::move(*layer);
  }
  OFCondition cond = ASC_initializeNetwork(NET_ACCEPTORREQUESTOR, impl_->config.port, 30, &impl_->network);
  if (cond.bad())
    return Fail(ErrorCode::kUnavailable, "cannot listen for DICOM on port " + std::to_string(impl_->config.port) +
                                             ": " + cond.text());
  if (impl_->tls_layer) {
    cond = ASC_setTransportLayer(impl_->network, impl_->tls_layer.get(), 0);
    if (cond.bad()) return Fail(ErrorCode::kInternal, std::string("DICOM TLS transport layer: ") + cond.text());
  }
  // Read back the bound port (the configured one may be 0 = any free port).
  auto* key = reinterpret_cast<PRIVATE_NETWORKKEY*>(impl_->network->network);
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  std::uint16_t port = impl_->config.port;
  if (getsockname(key->networkSpecific.TCP.listenSocket, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  if (impl_->config.allowed_peers.empty())
    LOG_WARN("dimse", "no allowed_peers configured: any calling AE title may store, query and retrieve");
  impl_->acceptor = std::thread([this] { impl_->AcceptLoop(); });
  return port;
}

void DimseServer::Stop() {
  if (!impl_ || !impl_->acceptor.joinable()) return;
  impl_->stopping = true;
  impl_->acceptor.join();
  {
    std::unique_lock lock(impl_->mutex);
    if (impl_->active > 0) LOG_INFO("dimse", "draining {} active association(s)", impl_->active);
    impl_->drained.wait(lock, [&] { return impl_->active == 0; });
  }
  if (impl_->network) ASC_dropNetwork(&impl_->network);
}

}  // namespace systole::protocols
