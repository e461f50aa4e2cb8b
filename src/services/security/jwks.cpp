#include "services/security/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <nlohmann/json.hpp>

#include "services/security/jwt.h"

namespace systole::security {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

Error Malformed(const std::string& kid, const std::string& why) {
  return Error{ErrorCode::kInvalidArgument, "JWKS key \"" + kid + "\": " + why};
}

std::optional<std::string> Member(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return Base64UrlDecode(it->get<std::string>());
}

BnPtr Bignum(const std::string& bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
}

Result<std::shared_ptr<EVP_PKEY>> FromParams(const char* type, OSSL_PARAM_BLD* builder, const std::string& kid) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0 || !pkey)
    return std::unexpected(Malformed(kid, "OpenSSL refuses the key"));
  return std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
}

Result<std::shared_ptr<EVP_PKEY>> RsaKey(const nlohmann::json& jwk, const std::string& kid) {
  auto n = Member(jwk, "n");
  auto e = Member(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) return std::unexpected(Malformed(kid, "RSA key without base64url n and e"));
  BnPtr bn_n = Bignum(*n), bn_e = Bignum(*e);
  if (!bn_n || !bn_e) return std::unexpected(Malformed(kid, "RSA n or e unreadable"));
  if (BN_num_bits(bn_n.get()) < 2048) return std::unexpected(Malformed(kid, "RSA key shorter than 2048 bits"));
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
    return std::unexpected(Malformed(kid, "OpenSSL refuses the key"));
  return FromParams("RSA", builder.get(), kid);
}

Result<std::shared_ptr<EVP_PKEY>> EcKey(const nlohmann::json& jwk, const std::string& kid) {
  if (jwk.value("crv", "") != "P-256") return std::unexpected(Malformed(kid, "EC key not on curve P-256"));
  auto x = Member(jwk, "x");
  auto y = Member(jwk, "y");
  if (!x || !y || x->size() != 32 || y->size() != 32)
    return std::unexpected(Malformed(kid, "EC key without 32-byte base64url x and y"));
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point; OpenSSL checks it lies on the curve
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      !OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
    return std::unexpected(Malformed(kid, "OpenSSL refuses the key"));
  return FromParams("EC", builder.get(), kid);
}

// ES256's r‖s (32 + 32 bytes) as the DER ECDSA-Sig-Value EVP expects.
std::optional<std::string> EcdsaDer(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

}  // namespace

bool IsAcceptedAlgorithm(std::string_view alg) { return alg == "RS256" || alg == "ES256"; }

Result<JsonWebKeySet> JsonWebKeySet::Parse(std::string_view json) {
  auto document = nlohmann::json::parse(json, nullptr, false);
  if (!document.is_object() || !document["keys"].is_array())
    return Fail(ErrorCode::kInvalidArgument, "JWKS: expected a JSON object {\"keys\": [...]}");
  JsonWebKeySet set;
  for (const auto& jwk : document["keys"]) {
    if (!jwk.is_object() || !jwk.contains("kid") || !jwk["kid"].is_string() || !jwk.contains("kty") ||
        !jwk["kty"].is_string())
      continue;
    if (jwk.contains("use") && jwk["use"] != "sig") continue;
    const std::string kid = jwk["kid"];
    const std::string kty = jwk["kty"];
    Key key;
    Result<std::shared_ptr<EVP_PKEY>> pkey = std::shared_ptr<EVP_PKEY>();
    if (kty == "RSA") {
      key.alg = "RS256";
      pkey = RsaKey(jwk, kid);
    } else if (kty == "EC") {
      key.alg = "ES256";
      pkey = EcKey(jwk, kid);
    } else {
      continue;  // e.g. an "oct" or OKP key: never used here
    }
    if (jwk.contains("alg") && jwk["alg"] != key.alg) continue;  // e.g. an RSA key meant for PS256
    if (!pkey) return std::unexpected(pkey.error());
    key.pkey = std::move(*pkey);
    set.keys_[kid] = std::move(key);
  }
  return set;
}

const JsonWebKeySet::Key* JsonWebKeySet::Find(const std::string& kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

bool VerifyJwsSignature(std::string_view alg, const JsonWebKeySet::Key& key, std::string_view input,
                        std::string_view signature) {
  if (!IsAcceptedAlgorithm(alg) || alg != key.alg || !key.pkey) return false;
  std::string der;
  if (alg == "ES256") {
    auto converted = EcdsaDer(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey.get()) <= 0) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

}  // namespace systole::security
