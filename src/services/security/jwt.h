// JSON Web Tokens (RFC 7519) in compact JWS form: base64url(header) "."
// base64url(claims) "." base64url(signature). Parsing only; the signature and
// the claims are checked by TokenVerifier (token_verifier.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace systole::security {

// Longer tokens are refused before any decoding (a bearer token with a few
// dozen group claims is 2–4 KB).
inline constexpr std::size_t kMaxJwtBytes = 16 * 1024;

struct Jwt {
  nlohmann::json header;    // an object: alg, kid, typ…
  nlohmann::json claims;    // an object: iss, aud, exp, nbf, iat, sub…
  std::string signing_input;  // the first two parts with their dot, as sent
  std::string signature;      // decoded bytes
};

// A bearer credential with exactly two dots is a JWT; Systole's own tokens have none.
bool LooksLikeJwt(std::string_view token);

// Base64url without padding (RFC 7515 §2); nullopt for any other character, padding, or a
// length that cannot be base64.
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::string Base64UrlEncode(std::string_view bytes);

// kInvalidArgument naming the defect (too long, not three parts, bad base64url,
// header or claims not a JSON object).
Result<Jwt> ParseJwt(std::string_view token);

}  // namespace systole::security
