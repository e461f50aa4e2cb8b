// DICOMweb (PS3.18) on Systole's services: QIDO-RS search, WADO-RS retrieve
// (instances, metadata, frames, bulk data), STOW-RS store. Routes live under
// /dicomweb and are added to a Router; handlers translate HTTP to one service
// call and back.
#pragma once

#include "protocols/http/router.h"
#include "services/cine/cine_service.h"
#include "services/ingest/ingest_service.h"
#include "services/query/query_service.h"

namespace systole::dicomweb {

// The services the DICOMweb handlers call.
struct Services {
  services::IngestService& ingest;
  services::QueryService& query;
  services::CineService& cine;
};

void AddRoutes(http::Router& router, const Services& services);

}  // namespace systole::dicomweb
