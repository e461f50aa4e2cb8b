// Which listeners `systole serve` opens, from the typed configuration:
//   DICOM, MLLP  the main port speaks plain, or TLS only when <section>.tls_required;
//                with cert + key and not required, a second TLS-only listener on tls_port.
//   HTTP         the main port serves plain HTTP, or only 301 redirects to https when
//                http.tls_required; with cert + key, HTTPS on http.tls_port.
// A pure function of Config, so the rules are tested without sockets.
#pragma once

#include <optional>

#include "protocols/dimse/dimse_server.h"
#include "protocols/hl7/mllp_server.h"
#include "protocols/http/http_server.h"
#include "server/config.h"

namespace systole::server {

struct ListenerPlan {
  protocols::DimseConfig dicom;
  std::optional<protocols::DimseConfig> dicom_tls;
  http::HttpConfig http;
  std::optional<http::HttpConfig> https;
  // http.tls_required: once HTTPS is listening, the plain listener redirects to its port.
  bool http_redirects_to_https = false;
  hl7::MllpConfig hl7;
  std::optional<hl7::MllpConfig> hl7_tls;
};

ListenerPlan PlanListeners(const Config& config);

}  // namespace systole::server
