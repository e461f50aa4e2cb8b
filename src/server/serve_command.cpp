#include <malloc.h>
#include <signal.h>

#include "base/log.h"
#include "protocols/dimse/dimse_server.h"
#include "protocols/hl7/hl7_receiver.h"
#include "protocols/hl7/mllp_server.h"
#include "protocols/http/http_server.h"
#include "protocols/http/static_files.h"
#include "server/commands.h"
#include "server/listener_plan.h"
#include "server/routes.h"
#include "server/wiring.h"

namespace systole::server {
namespace {

bool IsLoopback(const std::string& address) {
  return address == "127.0.0.1" || address == "::1" || address == "localhost" || address.starts_with("127.");
}

// Every route needs a rule in the permission table: refuse to start otherwise.
bool CheckRouteRules(const http::Router& router, Security& sec) {
  std::vector<security::RouteKey> keys;
  for (const auto& route : router.Routes()) keys.push_back({route.method, route.pattern, route.open});
  auto problems = sec.permissions().Check(keys);
  for (const auto& problem : problems) LOG_ERROR("serve", "permission table: {}", problem);
  return problems.empty();
}

void LogFirstRun(Security& sec) {
  auto users = sec.auth().ListUsers();
  if (users && users->empty())
    LOG_WARN("serve", "no user exists and the demo auto-login is off: nobody can sign in. Create the first "
             "administrator with: systole admin user add --name NAME --role admin --password-stdin");
}

// The OIDC issuer's keys, loaded once at start. A file that cannot be read is
// a configuration error; an unreachable URL is retried when tokens arrive.
bool LoadOidcKeys(const Config& config, Security& sec) {
  security::TokenVerifier* oidc = sec.oidc();
  if (!oidc) return true;
  const std::string source = config.oidc_jwks_url.empty() ? config.oidc_jwks_file.string() : config.oidc_jwks_url;
  if (auto loaded = oidc->Refresh(); !loaded) {
    if (config.oidc_jwks_url.empty()) {
      LOG_ERROR("serve", "oidc: cannot load the issuer's keys from {}: {}", source, loaded.error().message);
      return false;
    }
    LOG_WARN("serve", "oidc: cannot load the issuer's keys from {}: {}; bearer tokens are refused until they load "
             "(retried when a token arrives, at most once a minute)", source, loaded.error().message);
    return true;
  }
  LOG_INFO("serve", "oidc: bearer tokens of {} for audience {} accepted (keys from {}, roles from claim {})",
           config.oidc.issuer, config.oidc.audience, source, config.oidc.role_claim);
  return true;
}

// Makes and starts the optional (TLS) listener `config` describes, if any; false (logged) when it cannot start.
template <typename Server, typename ListenerConfig, typename... Args>
bool StartOptional(const std::optional<ListenerConfig>& config, std::unique_ptr<Server>& server, std::uint16_t& port,
                   const char* what, Args&&... args) {
  if (!config) return true;
  server = std::make_unique<Server>(*config, std::forward<Args>(args)...);
  auto started = server->Start();
  if (!started) {
    LOG_ERROR("serve", "{}: {}", what, started.error().message);
    return false;
  }
  port = *started;
  return true;
}

// DICOM peers are checked against the permission table's dicom_services by their role; a role
// the table does not know is a configuration error.
bool AuthorizeDicomPeers(ListenerPlan& plan, const security::PermissionTable& permissions) {
  const auto& dicom = plan.dicom;
  for (const auto& peer : dicom.allowed_peers)
    if (!peer.role.empty() && !permissions.HasRole(peer.role)) {
      LOG_ERROR("serve", "dicom.allowed_peers: {} has the unknown role {}", peer.ae_title, peer.role);
      return false;
    }
  if (!permissions.HasRole(dicom.default_peer_role)) {
    LOG_ERROR("serve", "dicom.default_peer_role: unknown role {}", dicom.default_peer_role);
    return false;
  }
  auto authorize = [&permissions](const std::string& role, const std::string& service) {
    return permissions.AllowsDicom(role, service);
  };
  plan.dicom.authorize = authorize;
  if (plan.dicom_tls) plan.dicom_tls->authorize = authorize;
  return true;
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
  // The demo auto-login and --no-auth serve whoever connects: loopback only.
  if ((config.http_no_auth || !config.http_demo_user.empty()) && !IsLoopback(config.http_bind)) {
    LOG_ERROR("serve", "http.bind = {}: the demo auto-login (http.demo_user) and --no-auth are for loopback only; "
                       "set http.demo_user = \"\" to require sign-in", config.http_bind);
    return 2;
  }
  if (!LoadOidcKeys(config, (*archive)->security())) return 2;
  if (config.http_no_auth && !IsLoopback(config.hl7_bind)) {
    LOG_ERROR("serve", "--no-auth (http.no_auth) needs every listener on loopback; hl7.bind is {}", config.hl7_bind);
    return 2;
  }
  ListenerPlan plan = PlanListeners(config);
  if (!AuthorizeDicomPeers(plan, (*archive)->security().permissions())) return 2;
  protocols::DimseServer dimse(plan.dicom, (*archive)->ingest(), (*archive)->query(), &(*archive)->identity());
  auto dicom_port = dimse.Start();
  if (!dicom_port) {
    LOG_ERROR("serve", "{}", dicom_port.error().message);
    return 2;
  }
  std::unique_ptr<protocols::DimseServer> dimse_tls;
  std::uint16_t dicom_tls_port = 0;
  if (!StartOptional(plan.dicom_tls, dimse_tls, dicom_tls_port, "DICOM TLS", (*archive)->ingest(), (*archive)->query(),
                     &(*archive)->identity()))
    return 2;
  http::Router router;
  const access::GateConfig gate_config{config.http_no_auth ? "" : config.http_demo_user, config.http_no_auth};
  access::AccessGate gate((*archive)->security().auth(), (*archive)->security().audit(), gate_config);
  gate.Install(router);
  InstallScope(gate, **archive);
  std::error_code exe_error;
  const http::StaticFiles site(ResolveWebRoot(config, std::filesystem::read_symlink("/proc/self/exe", exe_error)));
  if (!std::filesystem::is_regular_file(site.root() / "index.html", exe_error))
    LOG_WARN("serve", "no viewer in {} (run make build): / answers 503", site.root().string());
  AddAllRoutes(router, **archive, site, gate_config);
  if (!CheckRouteRules(router, (*archive)->security())) return 2;
  std::unique_ptr<http::HttpServer> web_tls;
  std::uint16_t https_port = 0;
  if (!StartOptional(plan.https, web_tls, https_port, "HTTPS", router)) return 2;
  http::HttpConfig http_config = plan.http;
  if (plan.http_redirects_to_https) http_config.redirect_to_https_port = https_port;
  http::HttpServer web(http_config, router);
  auto http_port = web.Start();
  if (!http_port) {
    LOG_ERROR("serve", "{}", http_port.error().message);
    return 2;
  }
  hl7::Hl7Receiver hl7_receiver({config.dicom.ae_title, config.dicom.ae_title, config.hl7_allowed_senders},
                                (*archive)->identity());
  const hl7::MllpHandler hl7_handler = [&hl7_receiver](std::string_view message, std::string_view peer) {
    return hl7_receiver.Handle(message, peer);
  };
  hl7::MllpServer mllp(plan.hl7, hl7_handler);
  auto hl7_port = mllp.Start();
  if (!hl7_port) {
    LOG_ERROR("serve", "{}", hl7_port.error().message);
    return 2;
  }
  std::unique_ptr<hl7::MllpServer> mllp_tls;
  std::uint16_t hl7_tls_port = 0;
  if (!StartOptional(plan.hl7_tls, mllp_tls, hl7_tls_port, "HL7 TLS", hl7_handler)) return 2;
  if (auto started = (*archive)->delivery().Start(); !started) {
    LOG_ERROR("serve", "report delivery: {}", started.error().message);
    return 2;
  }
  if (config.hl7_allowed_senders.empty())
    LOG_WARN("serve", "no hl7.allowed_senders configured: any sending application may update patients and orders");
  if (config.http_no_auth)
    LOG_WARN("serve", "--no-auth: HTTP requests are served without a user, on {} only", config.http_bind);
  else if (!config.http_demo_user.empty())
    LOG_WARN("serve", "demo auto-login: requests without credentials are served as \"{}\" (role admin), on {} only; "
             "set http.demo_user = \"\" to require sign-in", config.http_demo_user, config.http_bind);
  else
    LogFirstRun((*archive)->security());
  if (tls::Configured(config.http_tls) || tls::Configured(config.dicom.tls) || tls::Configured(config.hl7_tls))
    LOG_INFO("serve", "TLS: https_port={} dicom_tls_port={}{} hl7_tls_port={}{} (0: none; http.tls_required={})",
             https_port, plan.dicom_tls ? dicom_tls_port : 0, config.dicom_tls_required ? " (dicom_port is TLS-only)" : "",
             plan.hl7_tls ? hl7_tls_port : 0, config.hl7_tls_required ? " (hl7_port is TLS-only)" : "",
             config.http_tls_required);
  LOG_INFO("serve", "Systole {} ready: data={} ae_title={} dicom_port={} http_port={} web_root={} hl7_port={}",
           SYSTOLE_VERSION, config.data_dir.string(), config.dicom.ae_title, *dicom_port, *http_port,
           site.root().string(), *hl7_port);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LOG_INFO("serve", "received {}, stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  mllp.Stop();
  if (mllp_tls) mllp_tls->Stop();
  web.Stop();
  if (web_tls) web_tls->Stop();
  (*archive)->delivery().Stop();
  dimse.Stop();
  if (dimse_tls) dimse_tls->Stop();
  LOG_INFO("serve", "stopped cleanly");
  return 0;
}

}  // namespace systole::server
