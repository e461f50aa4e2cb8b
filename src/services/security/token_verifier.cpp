#include "services/security/token_verifier.h"

#include <fmt/format.h>

#include "services/security/crypto.h"
#include "services/security/jwt.h"

namespace systole::security {
namespace {

std::unexpected<Error> Invalid(std::string why) { return Fail(ErrorCode::kPermissionDenied, std::move(why)); }

// A NumericDate claim (seconds; JSON number), nullopt if absent or not a number.
std::optional<std::int64_t> Seconds(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return it->is_number_float() ? static_cast<std::int64_t>(it->get<double>()) : it->get<std::int64_t>();
}

bool ClaimContains(const nlohmann::json& claim, const std::string& value) {
  if (claim.is_string()) return claim.get<std::string>() == value;
  if (claim.is_array())
    for (const auto& item : claim)
      if (item.is_string() && item.get<std::string>() == value) return true;
  return false;
}

constexpr std::size_t kMaxRemembered = 10000;

}  // namespace

Status TokenVerifier::Refresh() {
  auto text = source_();
  if (!text) return std::unexpected(text.error());
  auto set = JsonWebKeySet::Parse(*text);
  if (!set) return std::unexpected(set.error());
  if (set->size() == 0) return Fail(ErrorCode::kInvalidArgument, "JWKS: no RSA or EC P-256 signing key with a kid");
  std::lock_guard lock(keys_mutex_);
  keys_ = std::make_shared<const JsonWebKeySet>(std::move(*set));
  return {};
}

std::shared_ptr<const JsonWebKeySet> TokenVerifier::Keys() const {
  std::lock_guard lock(keys_mutex_);
  return keys_;
}

const JsonWebKeySet::Key* TokenVerifier::KeyFor(const std::string& kid,
                                                std::shared_ptr<const JsonWebKeySet>& holder) {
  holder = Keys();
  if (holder)
    if (const auto* key = holder->Find(kid)) return key;
  {
    std::lock_guard lock(refresh_mutex_);
    const auto now = clock_.Now();
    holder = Keys();  // another request may have reloaded meanwhile
    if (holder)
      if (const auto* key = holder->Find(kid)) return key;
    if (last_refresh_ && now - *last_refresh_ < refresh_interval_) return nullptr;
    last_refresh_ = now;
    (void)Refresh();  // a failure keeps the old set; the token is refused below
  }
  holder = Keys();
  return holder ? holder->Find(kid) : nullptr;
}

Status TokenVerifier::CheckClaims(const nlohmann::json& claims, std::int64_t now) const {
  const std::int64_t leeway = settings_.leeway_seconds;
  auto exp = Seconds(claims, "exp");
  if (!exp) return Invalid("no exp claim");
  if (now >= *exp + leeway) return Invalid(fmt::format("expired {} s ago", now - *exp));
  if (claims.contains("nbf")) {
    auto nbf = Seconds(claims, "nbf");
    if (!nbf || *nbf > now + leeway) return Invalid("not valid yet (nbf)");
  }
  if (claims.contains("iat")) {
    auto iat = Seconds(claims, "iat");
    if (!iat || *iat > now + leeway) return Invalid("issued in the future (iat)");
  }
  if (!claims.contains("iss") || claims["iss"] != settings_.issuer) return Invalid("wrong issuer");
  if (!claims.contains("aud") || !ClaimContains(claims["aud"], settings_.audience)) return Invalid("wrong audience");
  return {};
}

std::string TokenVerifier::MapRole(const nlohmann::json& claims) const {
  auto it = claims.find(settings_.role_claim);
  if (it == claims.end()) return "";
  for (const auto& [value, role] : settings_.role_map)
    if (ClaimContains(*it, value)) return role;
  return "";
}

bool TokenVerifier::FirstUse(const std::string& token, std::int64_t exp, std::int64_t now) {
  std::lock_guard lock(seen_mutex_);
  if (seen_.size() >= kMaxRemembered) std::erase_if(seen_, [now](const auto& entry) { return entry.second < now; });
  if (seen_.size() >= kMaxRemembered) seen_.clear();  // bounded memory: at worst a repeated sign-in record
  return seen_.emplace(Sha256Hex(token), exp).second;
}

Result<Principal> TokenVerifier::Verify(const std::string& token) {
  auto jwt = ParseJwt(token);
  if (!jwt) return Invalid(jwt.error().message);
  const auto& header = jwt->header;
  const std::string alg = header.contains("alg") && header["alg"].is_string() ? header["alg"].get<std::string>() : "";
  if (!IsAcceptedAlgorithm(alg)) return Invalid(fmt::format("algorithm \"{}\" not accepted", alg.substr(0, 20)));
  if (!header.contains("kid") || !header["kid"].is_string()) return Invalid("no kid in the header");
  if (header.contains("crit")) return Invalid("unsupported crit header");
  std::shared_ptr<const JsonWebKeySet> holder;
  const auto* key = KeyFor(header["kid"].get<std::string>(), holder);
  if (!key) return Invalid("unknown kid");
  if (!VerifyJwsSignature(alg, *key, jwt->signing_input, jwt->signature)) return Invalid("bad signature");
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  SYSTOLE_RETURN_IF_ERROR(CheckClaims(jwt->claims, now));
  const auto& claims = jwt->claims;
  std::string user;
  if (claims.contains(settings_.user_claim) && claims[settings_.user_claim].is_string())
    user = claims[settings_.user_claim].get<std::string>();
  if (user.empty() && claims.contains("sub") && claims["sub"].is_string()) user = claims["sub"].get<std::string>();
  if (user.empty() || user.size() > 256) return Invalid("no user name claim");
  Principal principal{user, MapRole(claims)};
  principal.new_sign_in = FirstUse(token, *Seconds(claims, "exp"), now);
  return principal;
}

}  // namespace systole::security
