// Reconciliation admin API under /api/admin (and a study's reconciliation
// state under /api/studies): orphans, mismatches, duplicate-patient
// candidates, the admin actions (link, correct patient, resolve) and their log.
// The acting user is the request's user (http::HttpRequest::user).
#pragma once

#include "protocols/http/router.h"
#include "services/reconciliation/reconciliation_service.h"

namespace systole::api {

void AddReconciliationRoutes(http::Router& router, services::ReconciliationService& reconciliation);

}  // namespace systole::api
