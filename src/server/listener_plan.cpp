#include "server/listener_plan.h"

namespace systole::server {
namespace {

// The main listener and the optional TLS one of a protocol whose TLS port speaks TLS only.
template <typename ListenerConfig>
void Split(ListenerConfig& main, std::optional<ListenerConfig>& secure, const tls::TlsFiles& files,
           std::uint16_t tls_port, bool required) {
  main.tls = {};
  if (!tls::Configured(files)) return;
  if (required) {
    main.tls = files;
    return;
  }
  secure = main;
  secure->tls = files;
  secure->port = tls_port;
}

}  // namespace

ListenerPlan PlanListeners(const Config& config) {
  ListenerPlan plan;
  plan.dicom = config.dicom;
  Split(plan.dicom, plan.dicom_tls, config.dicom.tls, config.dicom_tls_port, config.dicom_tls_required);

  plan.http.bind_address = config.http_bind;
  plan.http.port = config.http_port;
  plan.http.idle_timeout = config.http_idle_timeout;
  plan.http.cors_origins = config.http_cors_origins;
  plan.http.security_headers.frame_ancestors = config.http_frame_ancestors;
  if (tls::Configured(config.http_tls)) {
    plan.https = plan.http;
    plan.https->port = config.http_tls_port;
    plan.https->tls = config.http_tls;
    plan.http_redirects_to_https = config.http_tls_required;
  }

  plan.hl7.bind_address = config.hl7_bind;
  plan.hl7.port = config.hl7_port;
  Split(plan.hl7, plan.hl7_tls, config.hl7_tls, config.hl7_tls_port, config.hl7_tls_required);
  return plan;
}

}  // namespace systole::server
