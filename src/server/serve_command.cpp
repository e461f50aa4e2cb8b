#include <malloc.h>
#include <signal.h>

#include "base/log.h"
#include "protocols/api/api_routes.h"
#include "protocols/api/reconciliation_routes.h"
#include "protocols/api/report_routes.h"
#include "protocols/api/delivery_routes.h"
#include "protocols/dicomweb/dicomweb.h"
#include "protocols/dimse/dimse_server.h"
#include "protocols/fhir/fhir.h"
#include "protocols/hl7/hl7_receiver.h"
#include "protocols/hl7/mllp_server.h"
#include "protocols/http/http_server.h"
#include "protocols/http/static_files.h"
#include "server/commands.h"
#include "server/wiring.h"

namespace systole::server {
namespace {

bool IsLoopback(const std::string& address) {
  return address == "127.0.0.1" || address == "::1" || address == "localhost" || address.starts_with("127.");
}

// The viewer: the router's fallback, so every DICOMweb and API route wins.
void AddViewerRoutes(http::Router& router, const http::StaticFiles& site) {
  router.SetFallback(
      {"GET", "/", "The viewer (single-page app) and its static files",
       "Serves the built viewer from http.web_root. /, /studies and /viewer/{StudyInstanceUID} (any path without a "
       "file extension outside /api, /dicomweb, /wado and /healthz) answer index.html (no-cache); files under "
       "/assets/ are content-hashed and cached for a year (immutable); a missing file is 404; 503 when the viewer "
       "was not built. The viewer's files hold no patient data: served without sign-in.",
       true},
      [&site](const http::HttpRequest& r) { return site.Serve(r); });
}

void AddServerRoutes(http::Router& router) {
  router.Add({"GET", "/healthz", "Liveness: 200 once the server is ready", "Answers {\"status\":\"ok\"}.", true},
             [](const http::HttpRequest&) { return http::HttpResponse::Json(200, R"({"status":"ok"})"); });
  router.Add({"GET", "/api/openapi.json", "This document", "The OpenAPI 3 description of Systole's own API."},
             [&router](const http::HttpRequest&) {
               return http::HttpResponse::Json(200, router.OpenApiJson("Systole", SYSTOLE_VERSION));
             });
}

}  // namespace

int RunServe(const Config& config) {
  // Receive SIGTERM/SIGINT synchronously below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Page faults are expensive on virtual machines: keep freed memory mapped
  // instead of returning it to the kernel after every large request.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_TOP_PAD, 64 << 20);

  auto archive = Archive::Open(config);
  if (!archive) {
    LOG_ERROR("serve", "cannot open the archive in {}: {}", config.data_dir.string(), archive.error().message);
    return 2;
  }
  // Sign-in does not exist yet: HTTP serves patient data only on loopback,
  // to the local demo user (see README, "Security").
  if (!IsLoopback(config.http_bind)) {
    LOG_ERROR("serve", "http.bind = {}: this build has no HTTP authentication yet, so HTTP is served on a loopback "
                       "address only", config.http_bind);
    return 2;
  }
  if (config.http_no_auth && !IsLoopback(config.hl7_bind)) {
    LOG_ERROR("serve", "--no-auth (http.no_auth) needs every listener on loopback; hl7.bind is {}", config.hl7_bind);
    return 2;
  }
  protocols::DimseServer dimse(config.dicom, (*archive)->ingest(), (*archive)->query(), &(*archive)->identity());
  auto dicom_port = dimse.Start();
  if (!dicom_port) {
    LOG_ERROR("serve", "{}", dicom_port.error().message);
    return 2;
  }
  http::Router router;
  // Until sign-in exists (the security issue plugs it in here): the local demo user, or nobody
  // with --no-auth. Either way only on loopback (checked above).
  router.SetAuthenticator([anonymous = config.http_no_auth](http::HttpRequest& request) -> std::optional<http::HttpResponse> {
    request.user = anonymous ? "" : "demo";
    return std::nullopt;
  });
  AddServerRoutes(router);
  dicomweb::AddRoutes(router, {(*archive)->ingest(), (*archive)->query(), (*archive)->cine()});
  api::AddRoutes(router, {(*archive)->measurements()});
  api::AddReconciliationRoutes(router, (*archive)->reconciliation());
  // Reports: the lead wires the reporting service's ReportCatalog here (nullptr: no DiagnosticReport yet).
  const fhir::Context fhir_context{(*archive)->query(), (*archive)->patients(), (*archive)->orders(), nullptr};
  fhir::AddRoutes(router, fhir_context);
  fhir::AddLaunchRoutes(router, fhir_context);
  api::AddReportRoutes(router, (*archive)->reports());
  // TODO(merge): pass the reporting service's ports::ReportCatalog instead of nullptr (PDF route 404s until then).
  api::AddDeliveryRoutes(router, {(*archive)->delivery(), nullptr, {}});
  std::error_code exe_error;
  const http::StaticFiles site(ResolveWebRoot(config, std::filesystem::read_symlink("/proc/self/exe", exe_error)));
  if (!std::filesystem::is_regular_file(site.root() / "index.html", exe_error))
    LOG_WARN("serve", "no viewer in {} (run make build): / answers 503", site.root().string());
  AddViewerRoutes(router, site);
  http::HttpConfig http_config;
  http_config.bind_address = config.http_bind;
  http_config.port = config.http_port;
  http_config.cors_origins = config.http_cors_origins;
  http::HttpServer web(http_config, router);
  auto http_port = web.Start();
  if (!http_port) {
    LOG_ERROR("serve", "{}", http_port.error().message);
    return 2;
  }
  hl7::Hl7Receiver hl7_receiver({config.dicom.ae_title, config.dicom.ae_title, config.hl7_allowed_senders},
                                (*archive)->identity());
  hl7::MllpConfig mllp_config;
  mllp_config.bind_address = config.hl7_bind;
  mllp_config.port = config.hl7_port;
  hl7::MllpServer mllp(mllp_config, [&hl7_receiver](std::string_view message, std::string_view peer) {
    return hl7_receiver.Handle(message, peer);
  });
  auto hl7_port = mllp.Start();
  if (!hl7_port) {
    LOG_ERROR("serve", "{}", hl7_port.error().message);
    return 2;
  }
  if (auto started = (*archive)->delivery().Start(); !started) {
    LOG_ERROR("serve", "report delivery: {}", started.error().message);
    return 2;
  }
  if (config.hl7_allowed_senders.empty())
    LOG_WARN("serve", "no hl7.allowed_senders configured: any sending application may update patients and orders");
  if (config.http_no_auth)
    LOG_WARN("serve", "--no-auth: HTTP requests are served without a user, on {} only", config.http_bind);
  else
    LOG_WARN("serve", "HTTP has no sign-in yet: every request is served as the local demo user \"demo\", on {} only",
             config.http_bind);
  LOG_INFO("serve", "Systole {} ready: data={} ae_title={} dicom_port={} http_port={} web_root={} hl7_port={}",
           SYSTOLE_VERSION, config.data_dir.string(), config.dicom.ae_title, *dicom_port, *http_port,
           site.root().string(), *hl7_port);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LOG_INFO("serve", "received {}, stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  mllp.Stop();
  web.Stop();
  (*archive)->delivery().Stop();
  dimse.Stop();
  LOG_INFO("serve", "stopped cleanly");
  return 0;
}

}  // namespace systole::server
