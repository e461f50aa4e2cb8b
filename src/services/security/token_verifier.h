// OpenID Connect single sign-on: validates the JWT access tokens of one
// configured issuer and maps their claims to a Systole role. Accepted: RS256
// and ES256 only, signed by the issuer's JWKS key named by the token's kid;
// `exp` required; `nbf`/`iat` within the leeway; `iss` equal to the issuer;
// `aud` (string or array) containing the audience. The key set is loaded by
// Refresh (at start) and reloaded when a token names an unknown kid, at most
// once per refresh interval. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "services/security/auth_service.h"
#include "services/security/jwks.h"

namespace systole::security {

struct OidcSettings {
  std::string issuer;    // expected `iss`; empty: OIDC off
  std::string audience;  // expected in `aud`
  std::string role_claim = "groups";                           // array or string claim
  std::vector<std::pair<std::string, std::string>> role_map;   // claim value → Systole role; first match wins
  std::string user_claim = "preferred_username";               // falls back to `sub`
  int leeway_seconds = 60;
};

// The issuer's JWKS document (from a URL or a file).
using JwksSource = std::function<Result<std::string>()>;

class TokenVerifier {
 public:
  TokenVerifier(OidcSettings settings, JwksSource source, const Clock& clock,
                std::chrono::seconds refresh_interval = std::chrono::seconds(60))
      : settings_(std::move(settings)), source_(std::move(source)), clock_(clock), refresh_interval_(refresh_interval) {}

  // Loads the key set now (source or parse errors are returned; the old set stays).
  Status Refresh();

  // The principal named by a valid token. Its role is "" when no claim value
  // maps to a role (the caller answers 403). new_sign_in is true the first time
  // a token is seen (audit it as a sign-in). kPermissionDenied for an invalid
  // token: the message names the defect for the log, never for the client.
  Result<Principal> Verify(const std::string& token);

  const OidcSettings& settings() const { return settings_; }

 private:
  std::shared_ptr<const JsonWebKeySet> Keys() const;
  // The key for kid, reloading the set if kid is unknown and the last reload is old enough.
  const JsonWebKeySet::Key* KeyFor(const std::string& kid, std::shared_ptr<const JsonWebKeySet>& holder);
  Status CheckClaims(const nlohmann::json& claims, std::int64_t now) const;
  std::string MapRole(const nlohmann::json& claims) const;
  bool FirstUse(const std::string& token, std::int64_t exp, std::int64_t now);

  OidcSettings settings_;
  JwksSource source_;
  const Clock& clock_;
  std::chrono::seconds refresh_interval_;
  mutable std::mutex keys_mutex_;
  std::shared_ptr<const JsonWebKeySet> keys_;
  std::mutex refresh_mutex_;
  std::optional<std::chrono::system_clock::time_point> last_refresh_;
  std::mutex seen_mutex_;
  std::unordered_map<std::string, std::int64_t> seen_;  // SHA-256 of tokens already signed in → exp
};

}  // namespace systole::security
