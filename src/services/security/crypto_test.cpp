#include "services/security/crypto.h"

#include <gtest/gtest.h>

#include <set>

namespace systole::security {
namespace {

TEST(CryptoTest, PasswordHashIsArgon2idSaltedAndVerifies) {
  auto hash = HashPassword("correct horse battery");
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_EQ(hash->find("correct"), std::string::npos);
  EXPECT_TRUE(VerifyPassword("correct horse battery", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse batterY", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));
  auto again = HashPassword("correct horse battery");
  ASSERT_TRUE(again);
  EXPECT_NE(*hash, *again);  // a fresh salt each time
}

TEST(CryptoTest, MalformedHashesNeverVerify) {
  EXPECT_FALSE(VerifyPassword("x", ""));
  EXPECT_FALSE(VerifyPassword("x", "x"));
  EXPECT_FALSE(VerifyPassword("x", "$argon2id$v=19$m=65536,t=2,p=1$garbage"));
}

TEST(CryptoTest, TokensAre256RandomBitsInBase64Url) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string token = RandomToken();
    EXPECT_EQ(token.size(), 43u);
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(CryptoTest, Sha256MatchesTheFips180Vectors) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace systole::security
