// The cryptography of the security service, on libsodium: Argon2id password
// hashes, random tokens, SHA-256. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace systole::security {

// An Argon2id hash string ($argon2id$v=19$m=…) of `password` with a random salt
// (libsodium's interactive limits). kInternal if memory runs out.
Result<std::string> HashPassword(std::string_view password);

// True when `password` matches `hash` (constant time); false for any malformed hash.
bool VerifyPassword(std::string_view password, const std::string& hash);

// 256 random bits, base64url without padding (43 characters).
std::string RandomToken();

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace systole::security
