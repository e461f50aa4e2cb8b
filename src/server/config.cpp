#include "server/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <charconv>
#include <cstring>
#include <functional>
#include <sstream>

namespace systole::server {
namespace {

using Setter = std::function<Status(Config&, const std::vector<std::string>&)>;

struct Key {
  const char* name;  // "section.key"
  bool list;
  Setter set;
};

Error Invalid(const std::string& key, const std::string& value, const std::string& why) {
  return Error{ErrorCode::kInvalidArgument, "configuration " + key + " = '" + value + "': " + why};
}

template <typename Int>
Result<Int> ParseInt(const std::string& key, const std::string& text, Int min, Int max) {
  long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < static_cast<long long>(min) ||
      value > static_cast<long long>(max))
    return std::unexpected(Invalid(key, text, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]"));
  return static_cast<Int>(value);
}

Result<double> ParseDecimal(const std::string& key, const std::string& text, double min, double max) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !(value >= min && value <= max))
    return std::unexpected(Invalid(key, text, fmt::format("expected a number in [{}, {}]", min, max)));
  return value;
}

Result<bool> ParseBool(const std::string& key, const std::string& text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return std::unexpected(Invalid(key, text, "expected true or false"));
}

// "AET=HOST:PORT"
Result<protocols::DicomPeer> ParsePeer(const std::string& key, const std::string& text) {
  auto eq = text.find('=');
  auto colon = text.rfind(':');
  if (eq == std::string::npos || colon == std::string::npos || colon < eq || eq == 0 || eq > 16)
    return std::unexpected(Invalid(key, text, "expected AET=HOST:PORT"));
  auto port = ParseInt<std::uint16_t>(key, text.substr(colon + 1), 1, 65535);
  if (!port) return std::unexpected(port.error());
  return protocols::DicomPeer{text.substr(0, eq), text.substr(eq + 1, colon - eq - 1), *port, {}};
}

// "AET", "AET@HOST", each optionally followed by ";cn=NAME" (the subject CN of its TLS client certificate)
// AET[@HOST][;cn=CERTIFICATE-CN][;role=ROLE], the options in any order.
Result<protocols::DicomPeer> ParseAllowedPeer(const std::string& key, const std::string& text) {
  const auto semicolon = text.find(';');
  const std::string peer = text.substr(0, semicolon);
  std::string cn, role;
  for (std::size_t at = semicolon; at != std::string::npos;) {
    const std::size_t next = text.find(';', at + 1);
    const std::string option = text.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    std::string* target = option.starts_with("cn=") ? &cn : option.starts_with("role=") ? &role : nullptr;
    const std::string value = option.substr(option.find('=') + 1);
    if (!target || value.empty() || !target->empty())
      return std::unexpected(Invalid(key, text, "expected AET[@HOST][;cn=CERTIFICATE-CN][;role=ROLE]"));
    *target = value;
    at = next;
  }
  auto at = peer.find('@');
  std::string ae = peer.substr(0, at);
  if (ae.empty() || ae.size() > 16) return std::unexpected(Invalid(key, text, "expected AET or AET@HOST"));
  return protocols::DicomPeer{ae, at == std::string::npos ? std::string() : peer.substr(at + 1), 0, cn, role};
}

Status CheckAeTitle(const std::string& key, const std::string& text) {
  if (text.empty() || text.size() > 16 || text.find('\\') != std::string::npos)
    return std::unexpected(Invalid(key, text, "an AE title has 1 to 16 characters, no backslash"));
  return {};
}

#define PORT(key, field) {key, false, [](Config& c, const std::vector<std::string>& v) -> Status { auto p = ParseInt<std::uint16_t>(key, v.back(), 0, 65535); if (!p) return std::unexpected(p.error()); field = *p; return {}; }}
#define FLAG(key, field) {key, false, [](Config& c, const std::vector<std::string>& v) -> Status { auto b = ParseBool(key, v.back()); if (!b) return std::unexpected(b.error()); field = *b; return {}; }}
#define PATH(key, field) {key, false, [](Config& c, const std::vector<std::string>& v) -> Status { field = v.back(); return {}; }}

#define SCALAR(body) [](Config& c, const std::vector<std::string>& v) -> Status { const std::string& s = v.back(); body }

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      {"server.data_dir", false, SCALAR(c.data_dir = s; return {};)},
      {"server.log_level", false, SCALAR(if (!ParseLogLevel(s, c.log_level)) return std::unexpected(Invalid("server.log_level", s, "expected debug, info, warning or error")); return {};)},
      {"dicom.ae_title", false, SCALAR(SYSTOLE_RETURN_IF_ERROR(CheckAeTitle("dicom.ae_title", s)); c.dicom.ae_title = s; return {};)},
      {"dicom.port", false, SCALAR(auto p = ParseInt<std::uint16_t>("dicom.port", s, 0, 65535); if (!p) return std::unexpected(p.error()); c.dicom.port = *p; return {};)},
      {"dicom.max_associations", false, SCALAR(auto n = ParseInt<std::size_t>("dicom.max_associations", s, 1, 1000); if (!n) return std::unexpected(n.error()); c.dicom.max_associations = *n; return {};)},
      {"dicom.max_pdu", false, SCALAR(auto n = ParseInt<std::uint32_t>("dicom.max_pdu", s, 4096, 131072); if (!n) return std::unexpected(n.error()); c.dicom.max_pdu = *n; return {};)},
      {"dicom.dimse_timeout", false, SCALAR(auto n = ParseInt<int>("dicom.dimse_timeout", s, 1, 3600); if (!n) return std::unexpected(n.error()); c.dicom.dimse_timeout = std::chrono::seconds(*n); return {};)},
      {"dicom.idle_timeout", false, SCALAR(auto n = ParseInt<int>("dicom.idle_timeout", s, 1, 86400); if (!n) return std::unexpected(n.error()); c.dicom.idle_timeout = std::chrono::seconds(*n); return {};)},
      {"dicom.drain_timeout", false, SCALAR(auto n = ParseInt<int>("dicom.drain_timeout", s, 0, 3600); if (!n) return std::unexpected(n.error()); c.dicom.drain_timeout = std::chrono::seconds(*n); return {};)},
      {"dicom.check_called_ae", false, SCALAR(auto b = ParseBool("dicom.check_called_ae", s); if (!b) return std::unexpected(b.error()); c.dicom.check_called_ae = *b; return {};)},
      {"dicom.allowed_peers", true, [](Config& c, const std::vector<std::string>& values) -> Status {
         c.dicom.allowed_peers.clear();
         for (const auto& v : values) {
           auto peer = ParseAllowedPeer("dicom.allowed_peers", v);
           if (!peer) return std::unexpected(peer.error());
           c.dicom.allowed_peers.push_back(*peer);
         }
         return {};
       }},
      {"dicom.default_peer_role", false, SCALAR(c.dicom.default_peer_role = s; return {};)},
      {"dicom.peers", true, [](Config& c, const std::vector<std::string>& values) -> Status {
         for (const auto& v : values) {
           auto peer = ParsePeer("dicom.peers", v);
           if (!peer) return std::unexpected(peer.error());
           std::erase_if(c.dicom.move_destinations, [&](const auto& p) { return p.ae_title == peer->ae_title; });
           c.dicom.move_destinations.push_back(*peer);
         }
         return {};
       }},
      PATH("dicom.tls_cert", c.dicom.tls.cert),
      PATH("dicom.tls_key", c.dicom.tls.key),
      PATH("dicom.tls_ca", c.dicom.tls.ca),
      FLAG("dicom.tls_verify_peer", c.dicom.tls.verify_peer),
      PORT("dicom.tls_port", c.dicom_tls_port),
      FLAG("dicom.tls_required", c.dicom_tls_required),
      {"http.bind", false, SCALAR(c.http_bind = s; return {};)},
      PATH("http.tls_cert", c.http_tls.cert),
      PATH("http.tls_key", c.http_tls.key),
      PORT("http.tls_port", c.http_tls_port),
      FLAG("http.tls_required", c.http_tls_required),
      {"http.frame_ancestors", true, [](Config& c, const std::vector<std::string>& values) -> Status {
         c.http_frame_ancestors.clear();
         for (const auto& v : values) {
           if (v != "'self'" && v != "'none'" && !v.starts_with("https://") && !v.starts_with("http://"))
             return std::unexpected(Invalid("http.frame_ancestors", v, "expected 'self', 'none' or an origin like https://ehr.example.org"));
           if (v.find_first_of(" ;,") != std::string::npos)
             return std::unexpected(Invalid("http.frame_ancestors", v, "one origin per entry"));
           c.http_frame_ancestors.push_back(v);
         }
         return {};
       }},
      {"http.cors_origins", true, [](Config& c, const std::vector<std::string>& values) -> Status {
         c.http_cors_origins.clear();
         for (const auto& v : values) {
           if (v != "*" && !v.starts_with("http://") && !v.starts_with("https://"))
             return std::unexpected(Invalid("http.cors_origins", v, "expected \"*\" or an origin like https://viewer.example.org"));
           c.http_cors_origins.push_back(v);
         }
         return {};
       }},
      {"http.no_auth", false, SCALAR(if (s != "true" && s != "false") return std::unexpected(Invalid("http.no_auth", s, "expected true or false")); c.http_no_auth = s == "true"; return {};)},
      {"http.demo_user", false, SCALAR(c.http_demo_user = s; return {};)},
      {"http.idle_timeout", false, SCALAR(auto n = ParseInt<int>("http.idle_timeout", s, 1, 3600); if (!n) return std::unexpected(n.error()); c.http_idle_timeout = std::chrono::seconds(*n); return {};)},
      {"http.port", false, SCALAR(auto p = ParseInt<std::uint16_t>("http.port", s, 0, 65535); if (!p) return std::unexpected(p.error()); c.http_port = *p; return {};)},
      {"http.web_root", false, SCALAR(c.web_root = s; return {};)},
      {"hl7.bind", false, SCALAR(c.hl7_bind = s; return {};)},
      {"hl7.allowed_senders", true, [](Config& c, const std::vector<std::string>& values) -> Status {
         c.hl7_allowed_senders.clear();
         for (const auto& v : values) {
           if (v.empty() || v.find_first_of("|~\\&") != std::string::npos || v.find('^') != v.rfind('^'))
             return std::unexpected(Invalid("hl7.allowed_senders", v, "expected APP or APP^FACILITY (MSH-3, MSH-4)"));
           c.hl7_allowed_senders.push_back(v);
         }
         return {};
       }},
      PATH("hl7.tls_cert", c.hl7_tls.cert),
      PATH("hl7.tls_key", c.hl7_tls.key),
      PATH("hl7.tls_ca", c.hl7_tls.ca),
      FLAG("hl7.tls_verify_peer", c.hl7_tls.verify_peer),
      PORT("hl7.tls_port", c.hl7_tls_port),
      FLAG("hl7.tls_required", c.hl7_tls_required),
      {"audit.syslog_host", false, SCALAR(c.audit_syslog.host = s; return {};)},
      PORT("audit.syslog_port", c.audit_syslog.port),
      {"audit.syslog_transport", false, SCALAR(auto t = adapters::ParseSyslogTransport(s); if (!t) return std::unexpected(Invalid("audit.syslog_transport", s, t.error().message)); c.audit_syslog.transport = *t; return {};)},
      PATH("audit.syslog_ca", c.audit_syslog.ca),
      {"hl7.port", false, SCALAR(auto p = ParseInt<std::uint16_t>("hl7.port", s, 0, 65535); if (!p) return std::unexpected(p.error()); c.hl7_port = *p; return {};)},
      {"storage.min_free_mb", false, SCALAR(auto n = ParseInt<std::uint64_t>("storage.min_free_mb", s, 0, 1ull << 40); if (!n) return std::unexpected(n.error()); c.ingest.min_free_bytes = *n << 20; return {};)},
      {"storage.duplicate_policy", false, SCALAR(auto p = services::ParseDuplicatePolicy(s); if (!p) return std::unexpected(Invalid("storage.duplicate_policy", s, "expected keep-first, replace or refuse")); c.ingest.duplicates = *p; return {};)},
      {"index.max_connections", false, SCALAR(auto n = ParseInt<std::size_t>("index.max_connections", s, 2, 256); if (!n) return std::unexpected(n.error()); c.index_max_connections = *n; return {};)},
      {"query.max_results", false, SCALAR(auto n = ParseInt<std::size_t>("query.max_results", s, 0, 100000000); if (!n) return std::unexpected(n.error()); c.query_max_results = *n; return {};)},
      {"security.permissions_file", false, SCALAR(c.permissions_file = s; return {};)},
      {"security.lockout_failures", false, SCALAR(auto n = ParseInt<int>("security.lockout_failures", s, 1, 1000); if (!n) return std::unexpected(n.error()); c.lockout_failures = *n; return {};)},
      {"security.lockout_minutes", false, SCALAR(auto n = ParseInt<int>("security.lockout_minutes", s, 1, 100000); if (!n) return std::unexpected(n.error()); c.lockout_minutes = *n; return {};)},
      {"security.session_idle_minutes", false, SCALAR(auto n = ParseInt<int>("security.session_idle_minutes", s, 1, 100000); if (!n) return std::unexpected(n.error()); c.session_idle_minutes = *n; return {};)},
      {"security.api_token_days", false, SCALAR(auto n = ParseInt<int>("security.api_token_days", s, 0, 3650); if (!n) return std::unexpected(n.error()); c.api_token_days = *n; return {};)},
      {"security.session_max_minutes", false, SCALAR(auto n = ParseInt<int>("security.session_max_minutes", s, 1, 1000000); if (!n) return std::unexpected(n.error()); c.session_max_minutes = *n; return {};)},
      {"security.break_glass_minutes", false, SCALAR(auto n = ParseDecimal("security.break_glass_minutes", s, 0.001, 24 * 60); if (!n) return std::unexpected(n.error()); c.break_glass_minutes = *n; return {};)},
      {"security.share_max_hours", false, SCALAR(auto n = ParseDecimal("security.share_max_hours", s, 0.001, 24 * 365); if (!n) return std::unexpected(n.error()); c.share_max_hours = *n; return {};)},
      {"security.share_pin_attempts", false, SCALAR(auto n = ParseInt<int>("security.share_pin_attempts", s, 1, 100); if (!n) return std::unexpected(n.error()); c.share_pin_attempts = *n; return {};)},
      {"cine.decoded_cache_mb", false, SCALAR(auto n = ParseInt<std::size_t>("cine.decoded_cache_mb", s, 0, 1 << 20); if (!n) return std::unexpected(n.error()); c.cine.decoded_bytes = *n << 20; return {};)},
      {"delivery.retry_initial_seconds", false, SCALAR(auto n = ParseInt<int>("delivery.retry_initial_seconds", s, 1, 86400); if (!n) return std::unexpected(n.error()); c.delivery.retry_initial = std::chrono::seconds(*n); return {};)},
      {"delivery.retry_max_seconds", false, SCALAR(auto n = ParseInt<int>("delivery.retry_max_seconds", s, 1, 7 * 86400); if (!n) return std::unexpected(n.error()); c.delivery.retry_max = std::chrono::seconds(*n); return {};)},
      {"delivery.max_attempts", false, SCALAR(auto n = ParseInt<int>("delivery.max_attempts", s, 1, 10000); if (!n) return std::unexpected(n.error()); c.delivery.max_attempts = *n; return {};)},
      {"delivery.hl7_destinations", true, [](Config& c, const std::vector<std::string>& values) -> Status {
         c.delivery_hl7_destinations.clear();
         for (const auto& v : values) {
           auto destination = hl7::ParseHl7Destination(v);
           if (!destination) return std::unexpected(Invalid("delivery.hl7_destinations", v, destination.error().message));
           if (v.starts_with(std::string(services::kArchiveDestination) + "="))
             return std::unexpected(Invalid("delivery.hl7_destinations", v, "the name \"archive\" is taken"));
           c.delivery_hl7_destinations.push_back(*destination);
         }
         return {};
       }},
      PATH("delivery.hl7_tls_ca", c.delivery_hl7_tls.ca),
      PATH("delivery.hl7_tls_cert", c.delivery_hl7_tls.cert),
      PATH("delivery.hl7_tls_key", c.delivery_hl7_tls.key),
      {"delivery.sending_application", false, SCALAR(if (s.empty() || s.find_first_of("|^~\\&") != std::string::npos) return std::unexpected(Invalid("delivery.sending_application", s, "expected a name without HL7 delimiters")); c.delivery_sending_application = s; return {};)},
      {"delivery.receiving_application", false, SCALAR(c.delivery_receiving_application = s; return {};)},
      {"delivery.receiving_facility", false, SCALAR(c.delivery_receiving_facility = s; return {};)},
      {"cine.rendered_cache_mb", false, SCALAR(auto n = ParseInt<std::size_t>("cine.rendered_cache_mb", s, 0, 1 << 20); if (!n) return std::unexpected(n.error()); c.cine.rendered_bytes = *n << 20; return {};)},
      {"reporting.signers", true, [](Config& c, const std::vector<std::string>& values) -> Status {
         c.reporting.signers.clear();
         for (const auto& v : values) {
           if (v.empty() || v.find_first_of(" \t,") != std::string::npos)
             return std::unexpected(Invalid("reporting.signers", v, "expected a user name (no spaces or commas)"));
           c.reporting.signers.push_back(v);
         }
         return {};
       }},
      {"reporting.institution", false, SCALAR(if (s.empty()) return std::unexpected(Invalid("reporting.institution", s, "expected the institution's name")); c.reporting.institution = s; return {};)},
      {"reporting.templates_dir", false, SCALAR(c.templates_dir = s; return {};)},
      {"oidc.issuer", false, SCALAR(c.oidc.issuer = s; return {};)},
      {"oidc.audience", false, SCALAR(c.oidc.audience = s; return {};)},
      {"oidc.jwks_url", false, SCALAR(if (!s.empty() && !s.starts_with("http://") && !s.starts_with("https://")) return std::unexpected(Invalid("oidc.jwks_url", s, "expected an http:// or https:// URL (or use oidc.jwks_file)")); c.oidc_jwks_url = s; return {};)},
      {"oidc.jwks_file", false, SCALAR(c.oidc_jwks_file = s; return {};)},
      {"oidc.role_claim", false, SCALAR(if (s.empty()) return std::unexpected(Invalid("oidc.role_claim", s, "expected a claim name, e.g. groups or roles")); c.oidc.role_claim = s; return {};)},
      {"oidc.role_map", true, [](Config& c, const std::vector<std::string>& values) -> Status {
         c.oidc.role_map.clear();
         for (const auto& v : values) {
           const auto eq = v.rfind('=');
           if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
             return std::unexpected(Invalid("oidc.role_map", v, "expected CLAIM_VALUE=ROLE"));
           c.oidc.role_map.emplace_back(v.substr(0, eq), v.substr(eq + 1));
         }
         return {};
       }},
      {"oidc.user_claim", false, SCALAR(if (s.empty()) return std::unexpected(Invalid("oidc.user_claim", s, "expected a claim name")); c.oidc.user_claim = s; return {};)},
      {"oidc.leeway_seconds", false, SCALAR(auto n = ParseInt<int>("oidc.leeway_seconds", s, 0, 3600); if (!n) return std::unexpected(n.error()); c.oidc.leeway_seconds = *n; return {};)},
  };
  return keys;
}

#undef SCALAR
#undef PORT
#undef FLAG
#undef PATH

const Key* FindKey(const std::string& name) {
  for (const auto& key : Keys())
    if (name == key.name) return &key;
  return nullptr;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Result<std::string> TomlScalar(const std::string& key, const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (node.is_boolean()) return std::string(*node.value<bool>() ? "true" : "false");
  if (node.is_floating_point()) return fmt::format("{}", *node.value<double>());  // decimal settings
  if (auto i = node.value<std::int64_t>()) return std::to_string(*i);
  return Fail(ErrorCode::kInvalidArgument, "configuration " + key + ": unsupported value type");
}

Status ApplyFile(Config& config, const std::filesystem::path& file) {
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    std::ostringstream where;
    where << error.source().begin;
    return Fail(ErrorCode::kInvalidArgument, "configuration file " + file.string() + ": " +
                                                 std::string(error.description()) + " at " + where.str());
  }
  for (const auto& [section, node] : table) {
    const auto* entries = node.as_table();
    if (!entries) return Fail(ErrorCode::kInvalidArgument, "configuration: '" + std::string(section.str()) + "' must be a [section]");
    for (const auto& [name, value] : *entries) {
      const std::string full = std::string(section.str()) + "." + std::string(name.str());
      const Key* key = FindKey(full);
      if (!key) return Fail(ErrorCode::kInvalidArgument, "configuration: unknown key " + full);
      std::vector<std::string> values;
      if (const auto* map = value.as_table(); map && key->list) {
        for (const auto& [entry, target] : *map) {
          auto scalar = TomlScalar(full, target);
          if (!scalar) return std::unexpected(scalar.error());
          values.push_back(std::string(entry.str()) + "=" + *scalar);
        }
      } else if (const auto* array = value.as_array()) {
        for (const auto& item : *array) {
          auto scalar = TomlScalar(full, item);
          if (!scalar) return std::unexpected(scalar.error());
          values.push_back(*scalar);
        }
        if (!key->list) return Fail(ErrorCode::kInvalidArgument, "configuration: " + full + " takes one value, not a list");
      } else {
        auto scalar = TomlScalar(full, value);
        if (!scalar) return std::unexpected(scalar.error());
        values = key->list ? SplitList(*scalar) : std::vector<std::string>{*scalar};
      }
      if (values.empty() && !key->list) continue;
      if (values.empty()) values.push_back("");
      if (key->list && values.size() == 1 && values[0].empty()) values.clear();
      SYSTOLE_RETURN_IF_ERROR(key->set(config, values));
    }
  }
  return {};
}

// OIDC needs all of its parts once an issuer is named.
Status CheckOidc(const Config& config) {
  if (config.oidc.issuer.empty()) return {};
  const char* missing = config.oidc.audience.empty()                                    ? "oidc.audience"
                        : config.oidc_jwks_url.empty() == config.oidc_jwks_file.empty() ? "exactly one of oidc.jwks_url, oidc.jwks_file"
                        : config.oidc.role_map.empty()                                  ? "oidc.role_map"
                                                                                        : nullptr;
  if (missing) return std::unexpected(Invalid("oidc.issuer", config.oidc.issuer, std::string("also needs ") + missing));
  return {};
}

// A TLS setting that cannot work is refused at start-up, not at the first connection.
Status CheckTls(const Config& c) {
  struct Listener {
    const char* section;
    const tls::TlsFiles& files;
    bool required;
  };
  for (const Listener& l : {Listener{"http", c.http_tls, c.http_tls_required}, Listener{"dicom", c.dicom.tls, c.dicom_tls_required},
                            Listener{"hl7", c.hl7_tls, c.hl7_tls_required}}) {
    const std::string s = l.section;
    if (l.files.cert.empty() != l.files.key.empty())
      return Fail(ErrorCode::kInvalidArgument, "configuration " + s + ".tls_cert and " + s + ".tls_key go together");
    if (l.required && !tls::Configured(l.files))
      return Fail(ErrorCode::kInvalidArgument, "configuration " + s + ".tls_required needs " + s + ".tls_cert and " + s + ".tls_key");
    if (l.files.verify_peer && l.files.ca.empty())
      return Fail(ErrorCode::kInvalidArgument, "configuration " + s + ".tls_verify_peer needs " + s + ".tls_ca");
  }
  return {};
}

}  // namespace

Result<Config> LoadConfig(const std::filesystem::path& file, const Overrides& flags, char** environment) {
  Config config;
  if (!file.empty()) SYSTOLE_RETURN_IF_ERROR(ApplyFile(config, file));
  for (const auto& [name, values] : flags) {
    const Key* key = FindKey(name);
    if (!key) return Fail(ErrorCode::kInternal, "flag for unknown key " + name);
    SYSTOLE_RETURN_IF_ERROR(key->set(config, values));
  }
  for (char** entry = environment; entry && *entry; ++entry) {
    std::string_view text(*entry);
    if (!text.starts_with("SYSTOLE_")) continue;
    auto eq = text.find('=');
    std::string var(text.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view() : text.substr(eq + 1));
    // SYSTOLE_<SECTION>_<KEY>: the section is one word, the key the rest.
    std::string rest = var.substr(8);
    auto underscore = rest.find('_');
    if (underscore == std::string::npos) continue;
    std::string name = rest.substr(0, underscore) + "." + rest.substr(underscore + 1);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const Key* key = FindKey(name);
    if (!key) continue;  // e.g. SYSTOLE_TESTDATA: not ours to judge
    auto values = key->list ? SplitList(value) : std::vector<std::string>{value};
    if (!key->list && values.empty()) continue;
    SYSTOLE_RETURN_IF_ERROR(key->set(config, values));
  }
  SYSTOLE_RETURN_IF_ERROR(CheckOidc(config));
  SYSTOLE_RETURN_IF_ERROR(CheckTls(config));
  return config;
}

std::filesystem::path ResolveWebRoot(const Config& config, const std::filesystem::path& executable) {
  if (!config.web_root.empty()) return config.web_root;
  return (executable.parent_path() / ".." / "web" / "dist").lexically_normal();
}

std::filesystem::path ResolveTemplatesDir(const Config& config, const std::filesystem::path& executable) {
  if (!config.templates_dir.empty()) return config.templates_dir;
  return (executable.parent_path() / ".." / "templates").lexically_normal();
}

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> names;
  for (const auto& key : Keys()) names.push_back(key.name);
  return names;
}

}  // namespace systole::server
