#include "services/security/crypto.h"

#include <sodium.h>

#include <array>
#include <cstdlib>

namespace systole::security {
namespace {

// sodium_init is idempotent and thread-safe after the first call returns.
void EnsureSodium() {
  static const int ready = sodium_init();
  if (ready < 0) std::abort();  // no secure random source: refusing to run is the only safe answer
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  EnsureSodium();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Fail(ErrorCode::kInternal, "password hashing ran out of memory");
  return std::string(out.data());
}

bool VerifyPassword(std::string_view password, const std::string& hash) {
  EnsureSodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string RandomToken() {
  EnsureSodium();
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)> text{};
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(text.data());
}

std::string Sha256Hex(std::string_view data) {
  EnsureSodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data());
}

}  // namespace systole::security
