// A JSON Web Key Set (RFC 7517) of an OpenID Connect issuer, as OpenSSL keys,
// and JWS signature checks (RFC 7518) for the two accepted algorithms:
// RS256 (RSA ≥ 2048 bits, PKCS#1 v1.5, SHA-256) and ES256 (ECDSA P-256,
// SHA-256, signature r‖s). Immutable after Parse; thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace systole::security {

// The only JWS algorithms accepted ("none", HS*, PS*… are refused).
bool IsAcceptedAlgorithm(std::string_view alg);

class JsonWebKeySet {
 public:
  struct Key {
    std::string alg;  // RS256 or ES256: the algorithm this key's type allows
    std::shared_ptr<EVP_PKEY> pkey;
  };

  // Keeps the signing keys (use absent or "sig") of type RSA or EC P-256 that
  // carry a kid; others are skipped. kInvalidArgument when the text is not a
  // JWKS object or a kept key is malformed (e.g. RSA under 2048 bits).
  static Result<JsonWebKeySet> Parse(std::string_view json);

  // The key with this kid, nullptr if none.
  const Key* Find(const std::string& kid) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, Key> keys_;
};

// Whether `signature` (JWS bytes: PKCS#1 for RS256, 64-byte r‖s for ES256)
// signs `input` with `key` under `alg`. False when alg is not the key's own.
bool VerifyJwsSignature(std::string_view alg, const JsonWebKeySet::Key& key, std::string_view input,
                        std::string_view signature);

}  // namespace systole::security
