// Systole's own JSON API under /api (described in /api/openapi.json through
// the router). Handlers translate HTTP to one service call and back.
//
//   GET /api/studies/{StudyInstanceUID}/measurements
//       → {"measurements": [ … ]}, one entry per measured quantity after
//         de-duplication (services::FoldMeasurements); a fixed contract (issue 5).
#pragma once

#include "protocols/http/router.h"
#include "services/measurements/measurement_service.h"

namespace systole::api {

struct Services {
  services::MeasurementService& measurements;
};

void AddRoutes(http::Router& router, const Services& services);

}  // namespace systole::api
