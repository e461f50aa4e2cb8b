// Report delivery under /api (described in /api/openapi.json):
//
//   GET  /api/deliveries?state=pending|delivered|failed|in_flight
//        → {"deliveries": [ {id, reportId, version, destination, state,
//           createdAt, nextAttemptAt, attempts: [{at, outcome, ackCode, detail}]} ]}
//   POST /api/deliveries/{id}/resend → the job, pending again (only a failed job: else 409)
//   GET  /api/reports/{id}/pdf → the PDF of the report's latest signed version (404 when none)
#pragma once

#include "ports/report_catalog.h"
#include "protocols/http/router.h"
#include "services/delivery/delivery_service.h"
#include "services/delivery/report_pdf.h"

namespace systole::api {

struct DeliveryRouteServices {
  services::DeliveryService& delivery;
  ports::ReportCatalog* reports = nullptr;  // without it (no reporting yet) the PDF route answers 404
  services::PdfOptions pdf;
};

void AddDeliveryRoutes(http::Router& router, const DeliveryRouteServices& services);

}  // namespace systole::api
