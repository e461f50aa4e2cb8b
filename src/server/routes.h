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

// Gives the gate the archive's study scopes and share sessions (serve does; the
// permission-matrix test checks roles alone).
void InstallScope(access::AccessGate& gate, Archive& archive);

}  // namespace systole::server
