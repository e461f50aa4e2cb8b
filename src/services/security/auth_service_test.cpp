#include "services/security/auth_service.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_security_store.h"
#include "services/security/crypto.h"

namespace systole::security {
namespace {

using std::chrono::minutes;

const char* kTable = R"({"permissions": {"read": ""}, "roles": {"admin": ["read"], "cardiologist": ["read"],
  "fellow": [], "sonographer": [], "technologist": [], "referring": [], "ai": [], "auditor": []}, "dicom_services": {"C-ECHO": "authenticated", "C-STORE": "read", "C-FIND": "read", "C-GET": "read", "C-MOVE": "read", "MWL-FIND": "read"}, "routes": []})";

class AuthServiceTest : public ::testing::Test {
 protected:
  AuthServiceTest()
      : table_(*PermissionTable::Parse(kTable)),
        clock_(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))),
        auth_(store_, store_, table_, clock_, SecurityPolicy{3, minutes(15), minutes(30), minutes(120)}) {
    EXPECT_TRUE(auth_.AddUser("alice", "cardiologist", "alice-password-1"));
  }
  std::string SignIn() {
    auto outcome = auth_.Login("alice", "alice-password-1");
    EXPECT_TRUE(outcome && outcome->status == LoginStatus::kSignedIn);
    return outcome ? outcome->token : "";
  }

  adapters::MemorySecurityStore store_;
  PermissionTable table_;
  FakeClock clock_;
  AuthService auth_;
};

TEST_F(AuthServiceTest, AddUserValidatesAndNeverStoresThePassword) {
  EXPECT_EQ(auth_.AddUser("bob", "wizard", "long-enough-1").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(auth_.AddUser("bob", "admin", "short").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(auth_.AddUser("bob'; DROP TABLE users;--", "admin", "long-enough-1").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(auth_.AddUser("alice", "admin", "long-enough-1").error().code, ErrorCode::kAlreadyExists);
  auto alice = store_.FindUser("alice");
  ASSERT_TRUE(alice);
  EXPECT_TRUE(alice->password_hash.starts_with("$argon2id$"));
  EXPECT_EQ(alice->password_hash.find("alice-password-1"), std::string::npos);
}

TEST_F(AuthServiceTest, SignInGivesATokenWhoseHashAloneIsStored) {
  std::string token = SignIn();
  EXPECT_FALSE(store_.FindSession(token));
  EXPECT_TRUE(store_.FindSession(Sha256Hex(token)));
  auto who = auth_.Authenticate(token);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user, "alice");
  EXPECT_EQ(who->role, "cardiologist");
  EXPECT_EQ(auth_.Authenticate(token + "x").error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(auth_.Authenticate("").error().code, ErrorCode::kPermissionDenied);
}

TEST_F(AuthServiceTest, WrongPasswordAndUnknownUserLookTheSame) {
  auto wrong = auth_.Login("alice", "nope-nope-nope");
  auto unknown = auth_.Login("mallory", "alice-password-1");
  ASSERT_TRUE(wrong && unknown);
  EXPECT_EQ(wrong->status, LoginStatus::kBadCredentials);
  EXPECT_EQ(unknown->status, LoginStatus::kBadCredentials);
  EXPECT_TRUE(wrong->token.empty());
}

TEST_F(AuthServiceTest, LockoutAfterNFailuresForMMinutesEvenWithTheRightPassword) {
  EXPECT_EQ(auth_.Login("alice", "bad-1")->status, LoginStatus::kBadCredentials);
  EXPECT_EQ(auth_.Login("alice", "bad-2")->status, LoginStatus::kBadCredentials);
  auto third = auth_.Login("alice", "bad-3");
  EXPECT_EQ(third->status, LoginStatus::kLocked);
  EXPECT_EQ(third->locked_until, 1'800'000'000 + 15 * 60);
  EXPECT_EQ(auth_.Login("alice", "alice-password-1")->status, LoginStatus::kLocked);
  clock_.Advance(minutes(14));
  EXPECT_EQ(auth_.Login("alice", "alice-password-1")->status, LoginStatus::kLocked);
  clock_.Advance(minutes(2));
  EXPECT_EQ(auth_.Login("alice", "alice-password-1")->status, LoginStatus::kSignedIn);
}

TEST_F(AuthServiceTest, ASuccessResetsTheFailureCount) {
  auth_.Login("alice", "bad-1");
  auth_.Login("alice", "bad-2");
  SignIn();
  auth_.Login("alice", "bad-3");
  auth_.Login("alice", "bad-4");
  EXPECT_EQ(auth_.Login("alice", "alice-password-1")->status, LoginStatus::kSignedIn);
}

TEST_F(AuthServiceTest, SessionsExpireWhenIdleAndAtTheAbsoluteLimit) {
  std::string idle = SignIn();
  clock_.Advance(minutes(31));
  EXPECT_EQ(auth_.Authenticate(idle).error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(store_.FindSession(Sha256Hex(idle)));  // expired sessions are removed

  std::string busy = SignIn();
  for (int i = 0; i < 5; ++i) {  // used every 20 minutes: idle expiry never hits
    clock_.Advance(minutes(20));
    EXPECT_TRUE(auth_.Authenticate(busy)) << i;
  }
  clock_.Advance(minutes(21));  // past 120 minutes after sign-in: absolute expiry
  EXPECT_FALSE(auth_.Authenticate(busy));
}

TEST_F(AuthServiceTest, LogoutEndsTheSession) {
  std::string token = SignIn();
  ASSERT_TRUE(auth_.Logout(token));
  EXPECT_FALSE(auth_.Authenticate(token));
}

TEST_F(AuthServiceTest, ApiTokensDoNotExpireWhenIdle) {
  EXPECT_EQ(auth_.CreateApiToken("nobody", "x").error().code, ErrorCode::kNotFound);
  auto token = auth_.CreateApiToken("alice", "echo AI");
  ASSERT_TRUE(token);
  clock_.Advance(minutes(60 * 24 * 30));
  auto who = auth_.Authenticate(*token);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user, "alice");
}

TEST_F(AuthServiceTest, ApiTokensExpireAtTheirMaximumAge) {
  AuthService auth(store_, store_, table_, clock_,
                   SecurityPolicy{3, minutes(15), minutes(30), minutes(120), std::chrono::days(90)});
  auto token = auth.CreateApiToken("alice", "echo AI");
  ASSERT_TRUE(token);
  EXPECT_EQ(auth.ApiTokenExpiry(), 1'800'000'000 + 90 * 86400);
  clock_.Advance(std::chrono::days(90));
  EXPECT_TRUE(auth.Authenticate(*token));  // the last second of its life
  clock_.Advance(std::chrono::seconds(1));
  auto refused = auth.Authenticate(*token);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(store_.FindSession(Sha256Hex(*token)));  // removed

  AuthService forever(store_, store_, table_, clock_,
                      SecurityPolicy{3, minutes(15), minutes(30), minutes(120), std::chrono::days(0)});
  auto kept = forever.CreateApiToken("alice", "archive bridge");
  EXPECT_EQ(forever.ApiTokenExpiry(), 0);
  clock_.Advance(std::chrono::days(3650));
  EXPECT_TRUE(forever.Authenticate(*kept));
}

}  // namespace
}  // namespace systole::security
