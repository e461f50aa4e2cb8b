// Every HTTP route of `systole serve`, registered in one place: serve and the
// permission-matrix test build the same router from it.
#pragma once

#include "protocols/access/access.h"
#include "protocols/http/router.h"
#include "protocols/http/static_files.h"
#include "server/wiring.h"

namespace systole::server {

// Adds the server's own routes (/healthz, /api/openapi.json), sign-in and audit,
// DICOMweb, the JSON API and the viewer (fallback). `archive` and `site` must
// outlive the router.
void AddAllRoutes(http::Router& router, Archive& archive, const http::StaticFiles& site,
                  const access::GateConfig& gate);

}  // namespace systole::server
