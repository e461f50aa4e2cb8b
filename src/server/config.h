// Typed configuration of `systole serve` and friends, read once at start-up.
//
// Sources, lowest to highest precedence: built-in defaults, the TOML file
// (--config), command-line flags, environment variables SYSTOLE_<SECTION>_<KEY>
// (e.g. SYSTOLE_DICOM_PORT=11112). config/systole.example.toml documents every
// key. Everything is validated here; the rest of Systole never reads settings
// by name.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/result.h"
#include "protocols/dimse/dimse_server.h"
#include "protocols/hl7/oru_sender.h"
#include "services/cine/cine_service.h"
#include "services/delivery/delivery_service.h"
#include "services/ingest/ingest_service.h"
#include "services/reporting/report_service.h"
#include "services/security/token_verifier.h"
#include "adapters/syslog/syslog_forwarder.h"
#include "protocols/tls/tls_context.h"

namespace systole::server {

struct Config {
  std::filesystem::path data_dir = "./var";
  LogLevel log_level = LogLevel::kInfo;
  protocols::DimseConfig dicom;
  std::string http_bind = "127.0.0.1";
  bool http_no_auth = false;  // tests and benchmarks: requests are anonymous (loopback listeners only)
  // Requests without credentials are this user, role admin (make run; loopback only). Empty: sign-in required.
  std::string http_demo_user = "demo";
  std::uint16_t http_port = 8080;
  std::chrono::seconds http_idle_timeout{60};  // a request must start arriving within this of the last answer
  std::vector<std::string> http_cors_origins;
  // TLS (README "Security and TLS"): HTTPS on http.tls_port when http.tls_cert and http.tls_key are
  // given; http.tls_required turns the plain port into a 301 redirect to it.
  tls::TlsFiles http_tls;
  std::uint16_t http_tls_port = 8443;
  bool http_tls_required = false;
  std::vector<std::string> http_frame_ancestors;  // CSP frame-ancestors; empty: 'self'
  // DICOM TLS: the files are in dicom.tls; a TLS listener on dicom_tls_port, or dicom.port itself
  // when dicom_tls_required (then no plain listener).
  std::uint16_t dicom_tls_port = 2762;
  bool dicom_tls_required = false;
  // The built viewer (index.html + assets/). Empty: <directory of the
  // systole binary>/../web/dist, i.e. web/dist of the source tree for build/systole.
  std::filesystem::path web_root;
  std::uint16_t hl7_port = 2575;
  std::string hl7_bind = "127.0.0.1";
  std::vector<std::string> hl7_allowed_senders;  // "APP" or "APP^FACILITY"; empty: any (warning logged)
  tls::TlsFiles hl7_tls;        // MLLP over TLS, as for DICOM: hl7_tls_port, or hl7.port when required
  std::uint16_t hl7_tls_port = 2576;
  bool hl7_tls_required = false;
  // Audit records forwarded to a syslog collector (RFC 5424); empty host: not forwarded.
  adapters::SyslogConfig audit_syslog;
  services::IngestPolicy ingest;
  std::size_t index_max_connections = 8;
  std::size_t query_max_results = 10000;
  services::CineLimits cine;
  services::ReportingConfig reporting;  // reporting.signers, reporting.institution
  // Report templates (*.json) and concept_map.csv. Empty: <directory of the
  // systole binary>/../templates, i.e. templates/ of the source tree for build/systole.
  std::filesystem::path templates_dir;
  // Report delivery ([delivery]): retries, and the HL7 receivers of every signed report (ORU^R01).
  services::DeliveryPolicy delivery;
  std::vector<hl7::Hl7Destination> delivery_hl7_destinations;
  tls::TlsFiles delivery_hl7_tls;  // destinations marked ";tls": CA of their certificates, our client certificate
  std::string delivery_sending_application = "SYSTOLE";  // MSH-3
  std::string delivery_receiving_application;            // MSH-5; empty: the destination's name
  std::string delivery_receiving_facility;               // MSH-6
  // Roles, permissions and the rule of every route. Empty: <binary dir>/../config/permissions.json.
  std::filesystem::path permissions_file;
  int lockout_failures = 5;
  int lockout_minutes = 15;
  int session_idle_minutes = 30;
  int session_max_minutes = 720;
  int api_token_days = 365;  // 0: API tokens never expire
  // OpenID Connect bearer tokens ([oidc]); oidc.issuer empty: off. Keys from
  // jwks_url (http:// or https://, fetched at start and on an unknown kid) or jwks_file.
  security::OidcSettings oidc;
  std::string oidc_jwks_url;
  std::filesystem::path oidc_jwks_file;
  // Data-level access (services/scope): break-glass duration (decimals allowed), the longest share
  // link, and the wrong PINs that end a share link.
  double break_glass_minutes = 60;
  double share_max_hours = 72;
  int share_pin_attempts = 5;
};

// Key/value overrides given on the command line, as "section.key" → value
// (lists: values joined with ',' — repeated flags append).
using Overrides = std::map<std::string, std::vector<std::string>>;

// Builds the configuration: defaults ← file (if non-empty path) ← flags ← environment.
// kInvalidArgument names the offending key and value.
Result<Config> LoadConfig(const std::filesystem::path& file, const Overrides& flags, char** environment);

// http.web_root, or the default beside the binary when it is empty.
// `executable` is the running binary's path (/proc/self/exe).
std::filesystem::path ResolveWebRoot(const Config& config, const std::filesystem::path& executable);

// reporting.templates_dir, or the default beside the binary when it is empty.
std::filesystem::path ResolveTemplatesDir(const Config& config, const std::filesystem::path& executable);

// Every key as "section.key", for documentation checks.
std::vector<std::string> ConfigKeys();

}  // namespace systole::server
