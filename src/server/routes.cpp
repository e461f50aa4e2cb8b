#include "server/routes.h"

#include "protocols/api/api_routes.h"
#include "protocols/api/delivery_routes.h"
#include "protocols/api/reconciliation_routes.h"
#include "protocols/api/report_routes.h"
#include "protocols/dicomweb/dicomweb.h"
#include "protocols/fhir/fhir.h"
#include "server/viewer_page.h"

namespace systole::server {
namespace {

// The viewer: the router's fallback, so every DICOMweb and API route wins.
void AddViewerRoutes(http::Router& router, const http::StaticFiles& site) {
  router.SetFallback(
      {"GET", "/", "The viewer (single-page app) and its static files",
       "Serves the built viewer from http.web_root. /, /studies and /viewer/{StudyInstanceUID} (any path without a "
       "file extension outside /api, /dicomweb, /wado and /healthz) answer index.html (no-cache); files under "
       "/assets/ are content-hashed and cached for a year (immutable); a missing file is 404; 503 when the viewer "
       "was not built. The viewer's files hold no patient data: served without sign-in. /viewer/{StudyInstanceUID} "
       "carries an <img> of the study's thumbnail at full size, fetched like any DICOMweb request "
       "(server/viewer_page.h).",
       true},
      [&site](const http::HttpRequest& r) {
        auto response = site.Serve(r);
        AddBootPoster(r, response);
        return response;
      });
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

void AddAllRoutes(http::Router& router, Archive& archive, const http::StaticFiles& site,
                  const access::GateConfig& gate) {
  AddServerRoutes(router);
  access::AddRoutes(router, archive.security().auth(), archive.security().audit(), gate);
  access::AddScopeRoutes(router, archive.scopes());
  access::AddShareRoutes(router, archive.shares());
  dicomweb::AddRoutes(router, {archive.ingest(), archive.query(), archive.cine()});
  api::AddRoutes(router, {archive.measurements()});
  api::AddReconciliationRoutes(router, archive.reconciliation());
  api::AddReportRoutes(router, archive.reports());
  api::AddDeliveryRoutes(router, {archive.delivery(), &archive.report_catalog(), {}});
  const fhir::Context fhir_context{archive.query(), archive.patients(), archive.orders(), &archive.report_catalog()};
  fhir::AddRoutes(router, fhir_context);
  fhir::AddLaunchRoutes(router, fhir_context);
  AddViewerRoutes(router, site);
}

void InstallScope(access::AccessGate& gate, Archive& archive) {
  gate.SetScope(archive.scopes(), archive.shares(),
                [&store = archive.report_store()](const std::string& id) -> std::optional<access::ReportRef> {
                  auto row = store.GetReport(id);
                  if (!row) return std::nullopt;
                  return access::ReportRef{row->study_instance_uid, row->status};
                });
}

}  // namespace systole::server
