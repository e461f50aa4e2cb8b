// TokenVerifier on tokens signed here with keys generated here (OpenSSL):
// RS256 and ES256 accepted; expired, not-yet-valid, wrong issuer or audience,
// alg none, HS256 keyed with the RSA public key, tampered, unknown kid,
// malformed and oversized tokens refused.
#include "services/security/token_verifier.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "services/security/jwt.h"

namespace systole::security {
namespace {

using Json = nlohmann::json;
constexpr std::int64_t kNow = 1'800'000'000;

std::shared_ptr<EVP_PKEY> Generate(bool rsa) {
  EVP_PKEY* key = rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::string BigParam(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  std::string bytes(pad ? pad : BN_num_bytes(bn), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  BN_free(bn);
  return Base64UrlEncode(bytes);
}

Json PublicJwk(EVP_PKEY* key, const std::string& kid) {
  if (EVP_PKEY_is_a(key, "RSA"))
    return {{"kty", "RSA"}, {"kid", kid}, {"use", "sig"}, {"n", BigParam(key, OSSL_PKEY_PARAM_RSA_N)},
            {"e", BigParam(key, OSSL_PKEY_PARAM_RSA_E)}};
  return {{"kty", "EC"}, {"kid", kid}, {"crv", "P-256"}, {"x", BigParam(key, OSSL_PKEY_PARAM_EC_PUB_X, 32)},
          {"y", BigParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32)}};
}

std::string Sign(EVP_PKEY* key, const std::string& input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(length, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &length,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(length);
  if (EVP_PKEY_is_a(key, "RSA")) return sig;
  // DER ECDSA-Sig-Value → JWS r‖s
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(ecdsa);
  return raw;
}

std::string Compact(const Json& header, const Json& claims) {
  return Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
}

std::string Token(EVP_PKEY* key, const std::string& alg, const std::string& kid, const Json& claims) {
  const std::string input = Compact({{"alg", alg}, {"kid", kid}, {"typ", "JWT"}}, claims);
  return input + "." + Base64UrlEncode(Sign(key, input));
}

Json Claims() {
  return {{"iss", "https://idp.example.org/realms/cardio"}, {"aud", "systole"}, {"exp", kNow + 300},
          {"iat", kNow - 10}, {"nbf", kNow - 10}, {"sub", "f3a9"}, {"preferred_username", "carol"},
          {"groups", {"staff", "cardio-readers"}}};
}

class TokenVerifierTest : public ::testing::Test {
 protected:
  TokenVerifierTest()
      : rsa_(Generate(true)), ec_(Generate(false)), other_(Generate(true)),
        clock_(std::chrono::system_clock::time_point(std::chrono::seconds(kNow))) {
    jwks_ = Json{{"keys", {PublicJwk(rsa_.get(), "rsa-1"), PublicJwk(ec_.get(), "ec-1")}}}.dump();
    OidcSettings settings;
    settings.issuer = "https://idp.example.org/realms/cardio";
    settings.audience = "systole";
    settings.role_claim = "groups";
    settings.role_map = {{"cardio-admins", "admin"}, {"cardio-readers", "cardiologist"}};
    verifier_ = std::make_unique<TokenVerifier>(settings, [this]() -> Result<std::string> {
      ++fetches_;
      return jwks_;
    }, clock_);
    EXPECT_TRUE(verifier_->Refresh());
  }

  std::string Refusal(const std::string& token) {
    auto principal = verifier_->Verify(token);
    EXPECT_FALSE(principal) << token;
    if (principal) return "";
    EXPECT_EQ(principal.error().code, ErrorCode::kPermissionDenied);
    return principal.error().message;
  }

  std::shared_ptr<EVP_PKEY> rsa_, ec_, other_;
  FakeClock clock_;
  std::string jwks_;
  int fetches_ = 0;
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(TokenVerifierTest, Rs256TokenNamesTheUserAndTheMappedRole) {
  const std::string token = Token(rsa_.get(), "RS256", "rsa-1", Claims());
  auto principal = verifier_->Verify(token);
  ASSERT_TRUE(principal) << principal.error().message;
  EXPECT_EQ(principal->user, "carol");
  EXPECT_EQ(principal->role, "cardiologist");
  EXPECT_TRUE(principal->new_sign_in);
  EXPECT_FALSE(verifier_->Verify(token)->new_sign_in);  // the same token again: not a new sign-in
}

TEST_F(TokenVerifierTest, Es256TokenIsAccepted) {
  Json claims = Claims();
  claims["aud"] = {"account", "systole"};
  claims["groups"] = "cardio-admins";
  auto principal = verifier_->Verify(Token(ec_.get(), "ES256", "ec-1", claims));
  ASSERT_TRUE(principal) << principal.error().message;
  EXPECT_EQ(principal->role, "admin");
}

TEST_F(TokenVerifierTest, UserFallsBackToSubAndUnmappedGroupsGiveNoRole) {
  Json claims = Claims();
  claims.erase("preferred_username");
  claims["groups"] = {"staff"};
  auto principal = verifier_->Verify(Token(rsa_.get(), "RS256", "rsa-1", claims));
  ASSERT_TRUE(principal) << principal.error().message;
  EXPECT_EQ(principal->user, "f3a9");
  EXPECT_EQ(principal->role, "");
}

TEST_F(TokenVerifierTest, TimeClaimsAreCheckedWithLeeway) {
  Json claims = Claims();
  claims["exp"] = kNow - 61;
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "expired 61 s ago");
  claims["exp"] = kNow - 30;  // within the 60 s leeway
  EXPECT_TRUE(verifier_->Verify(Token(rsa_.get(), "RS256", "rsa-1", claims)));
  claims = Claims();
  claims.erase("exp");
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "no exp claim");
  claims = Claims();
  claims["nbf"] = kNow + 3600;
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "not valid yet (nbf)");
  claims = Claims();
  claims["iat"] = kNow + 3600;
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "issued in the future (iat)");
  claims = Claims();
  claims["exp"] = "never";
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "no exp claim");
}

TEST_F(TokenVerifierTest, IssuerAndAudienceMustMatch) {
  Json claims = Claims();
  claims["iss"] = "https://evil.example.org/realms/cardio";
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "wrong issuer");
  claims = Claims();
  claims["aud"] = "another-app";
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "wrong audience");
  claims["aud"] = {"another-app", "systole-not"};
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "wrong audience");
  claims.erase("aud");
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "wrong audience");
}

TEST_F(TokenVerifierTest, AlgNoneAndHs256KeyedWithThePublicKeyAreRefused) {
  const std::string unsigned_input = Compact({{"alg", "none"}, {"kid", "rsa-1"}}, Claims());
  EXPECT_EQ(Refusal(unsigned_input + "."), "algorithm \"none\" not accepted");
  // Key confusion: an HMAC keyed with the RSA public key (PEM), as a naive verifier would check it.
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, rsa_.get());
  char* pem = nullptr;
  const long pem_length = BIO_get_mem_data(bio, &pem);
  const std::string input = Compact({{"alg", "HS256"}, {"kid", "rsa-1"}}, Claims());
  unsigned char mac[32];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), pem, static_cast<int>(pem_length), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &mac_length);
  BIO_free(bio);
  EXPECT_EQ(Refusal(input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_length))),
            "algorithm \"HS256\" not accepted");
  // An ES256 header over an RSA key (and the reverse) is refused too.
  EXPECT_EQ(Refusal(Token(rsa_.get(), "ES256", "rsa-1", Claims())), "bad signature");
  EXPECT_EQ(Refusal(Token(ec_.get(), "RS256", "ec-1", Claims())), "bad signature");
}

TEST_F(TokenVerifierTest, TamperedOrForgedTokensAreRefused) {
  const std::string token = Token(rsa_.get(), "RS256", "rsa-1", Claims());
  Json claims = Claims();
  claims["groups"] = {"cardio-admins"};
  const auto first = token.find('.'), second = token.rfind('.');
  const std::string tampered = token.substr(0, first + 1) + Base64UrlEncode(claims.dump()) + token.substr(second);
  EXPECT_EQ(Refusal(tampered), "bad signature");
  EXPECT_EQ(Refusal(Token(other_.get(), "RS256", "rsa-1", Claims())), "bad signature");  // another key, same kid
  EXPECT_EQ(Refusal(token.substr(0, second + 1)), "bad signature");                     // signature stripped
  const std::string es = Token(ec_.get(), "ES256", "ec-1", Claims());
  const auto es_dot = es.rfind('.');
  const std::string short_signature = Base64UrlDecode(es.substr(es_dot + 1))->substr(0, 63);
  EXPECT_EQ(Refusal(es.substr(0, es_dot + 1) + Base64UrlEncode(short_signature)), "bad signature");  // 63-byte r‖s
}

TEST_F(TokenVerifierTest, UnknownKidReloadsTheKeySetAtMostOncePerInterval) {
  EXPECT_EQ(fetches_, 1);
  EXPECT_EQ(Refusal(Token(other_.get(), "RS256", "rotated", Claims())), "unknown kid");
  EXPECT_EQ(fetches_, 2);
  EXPECT_EQ(Refusal(Token(other_.get(), "RS256", "rotated", Claims())), "unknown kid");
  EXPECT_EQ(fetches_, 2);  // rate-limited
  // The issuer rotates its key: after the interval the new kid is found.
  jwks_ = Json{{"keys", {PublicJwk(other_.get(), "rotated")}}}.dump();
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_TRUE(verifier_->Verify(Token(other_.get(), "RS256", "rotated", Claims())));
  EXPECT_EQ(fetches_, 3);
}

TEST_F(TokenVerifierTest, MalformedAndOversizedTokensAreRefused) {
  const std::string token = Token(rsa_.get(), "RS256", "rsa-1", Claims());
  EXPECT_EQ(Refusal("a.b"), "not three dot-separated parts");
  EXPECT_EQ(Refusal("e30.e30.e30.e30"), "not three dot-separated parts");
  EXPECT_EQ(Refusal("eyJ*bGc.e30.AAAA"), "header is not base64url");
  EXPECT_EQ(Refusal("e30=.e30.AAAA"), "header is not base64url");
  EXPECT_EQ(Refusal(Base64UrlEncode("[1]") + ".e30.AAAA"), "header is not a JSON object");
  EXPECT_EQ(Refusal(token.substr(0, token.rfind('.')) + ".%%%"), "signature is not base64url");
  Json claims = Claims();
  claims["padding"] = std::string(kMaxJwtBytes, 'x');
  EXPECT_EQ(Refusal(Token(rsa_.get(), "RS256", "rsa-1", claims)), "token longer than 16 KB");
  EXPECT_EQ(Refusal(Compact({{"alg", "RS256"}}, Claims()) + ".AAAA"), "no kid in the header");
}

TEST(JsonWebKeySetTest, KeepsSigningKeysAndRefusesWeakOnes) {
  auto ec = Generate(false);
  Json enc = PublicJwk(ec.get(), "enc-1");
  enc["use"] = "enc";
  Json oct = {{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  auto set = JsonWebKeySet::Parse(Json{{"keys", {PublicJwk(ec.get(), "ec-1"), enc, oct}}}.dump());
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->size(), 1u);
  ASSERT_NE(set->Find("ec-1"), nullptr);
  EXPECT_EQ(set->Find("ec-1")->alg, "ES256");
  EXPECT_EQ(set->Find("hmac"), nullptr);
  auto weak = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  auto refused = JsonWebKeySet::Parse(Json{{"keys", {PublicJwk(weak, "weak")}}}.dump());
  EVP_PKEY_free(weak);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("2048"), std::string::npos);
  Json off_curve = PublicJwk(ec.get(), "bad");
  off_curve["y"] = off_curve["x"];
  EXPECT_FALSE(JsonWebKeySet::Parse(Json{{"keys", {off_curve}}}.dump()));
  EXPECT_FALSE(JsonWebKeySet::Parse("not json"));
}

TEST(Base64UrlTest, RoundTripsAndRefusesOtherAlphabets) {
  for (std::string text : {"", "f", "fo", "foo", "foob", "\xff\xfe\x00\x01"}) EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(text)), text);
  EXPECT_FALSE(Base64UrlDecode("a+b/"));
  EXPECT_FALSE(Base64UrlDecode("Zg=="));
  EXPECT_FALSE(Base64UrlDecode("Zh"));  // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("Z"));
}

}  // namespace
}  // namespace systole::security
