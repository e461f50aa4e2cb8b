// Share links: creation rules, PIN, attempts, expiry, revocation, sessions, audit.
#include "services/scope/share_service.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_access_grants.h"
#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_security_store.h"
#include "adapters/test_records.h"

namespace systole::scope {
namespace {

class ShareServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(index_.AddInstance(adapters::contract::MakeRecord("P1", "1.2.1", "1.2.1.1", "1.2.1.1.1"), false));
  }
  CreatedShare Create(NewShare request) {
    request.study = request.study.empty() ? "1.2.1" : request.study;
    request.recipient = "dr.who@example.org";
    request.created_by = "dr";
    auto created = service_.Create(request);
    EXPECT_TRUE(created) << created.error().message;
    return created ? *created : CreatedShare{};
  }
  std::size_t AuditCount() {
    std::size_t n = 0;
    EXPECT_TRUE(audit_store_.ForEachRecord([&](const domain::AuditRecord&) { ++n; }));
    return n;
  }

  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000))};
  adapters::MemoryIndex index_;
  adapters::MemoryAccessGrants grants_;
  adapters::MemorySecurityStore audit_store_;
  security::AuditTrail audit_{audit_store_, clock_, "TEST"};
  ShareService service_{grants_, index_, audit_, clock_, ShareConfig{72, 3}};
};

TEST_F(ShareServiceTest, CreationIsValidated) {
  NewShare request{"1.2.1", "", false, false, "", 1, "dr"};
  EXPECT_EQ(service_.Create(request).error().code, ErrorCode::kInvalidArgument);  // no recipient
  request.recipient = "x";
  request.expires_in_hours = 73;
  EXPECT_EQ(service_.Create(request).error().code, ErrorCode::kInvalidArgument);
  request.expires_in_hours = 0;
  EXPECT_EQ(service_.Create(request).error().code, ErrorCode::kInvalidArgument);
  request.expires_in_hours = 1;
  request.pin = "12";
  EXPECT_EQ(service_.Create(request).error().code, ErrorCode::kInvalidArgument);
  request.pin = "";
  request.study = "9.9";
  EXPECT_EQ(service_.Create(request).error().code, ErrorCode::kNotFound);
}

TEST_F(ShareServiceTest, OnlyTheTokenHashIsStoredAndALinkOpensASessionScopedToItsStudy) {
  auto created = Create({.download = false, .expires_in_hours = 1});
  EXPECT_EQ(created.token.size(), 43u);
  auto stored = grants_.FindShare(created.share.id);
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->token_hash, created.token);
  auto opened = service_.Open(created.token, "", "10.0.0.1");
  ASSERT_TRUE(opened);
  ASSERT_EQ(opened->state, ShareState::kOpen);
  auto session = service_.Session(opened->session_token);
  ASSERT_EQ(session->state, ShareState::kOpen);
  EXPECT_EQ(SharePrincipal(session->share), "share:" + created.share.id);
  EXPECT_EQ(ShareRole(session->share), "share");
  auto scope = ShareScope(session->share);
  EXPECT_TRUE(scope.Allows("1.2.1"));
  EXPECT_FALSE(scope.Allows("1.2.2"));
  EXPECT_FALSE(scope.reports);
  EXPECT_EQ(AuditCount(), 1u);  // the opening
  EXPECT_EQ(service_.Session("forged")->state, ShareState::kGone);
}

TEST_F(ShareServiceTest, WrongPinsAreCountedAndEndTheLink) {
  auto created = Create({.pin = "2468", .expires_in_hours = 1});
  EXPECT_NE(grants_.FindShare(created.share.id)->pin_hash, "2468");
  EXPECT_EQ(service_.Check(created.token)->state, ShareState::kNeedsPin);
  EXPECT_EQ(service_.Open(created.token, "", "ip")->state, ShareState::kNeedsPin);
  auto wrong = service_.Open(created.token, "1111", "ip");
  EXPECT_EQ(wrong->state, ShareState::kWrongPin);
  EXPECT_EQ(wrong->attempts_left, 2);
  auto right = service_.Open(created.token, "2468", "ip");
  ASSERT_EQ(right->state, ShareState::kOpen);
  EXPECT_EQ(service_.Open(created.token, "0000", "ip")->state, ShareState::kWrongPin);
  EXPECT_EQ(service_.Open(created.token, "0000", "ip")->state, ShareState::kGone);  // third failure
  EXPECT_EQ(service_.Open(created.token, "2468", "ip")->state, ShareState::kGone);
  EXPECT_EQ(AuditCount(), 4u);  // 3 failures + 1 opening
}

TEST_F(ShareServiceTest, ExpiryAndRevocationEndLinksAndSessions) {
  auto created = Create({.expires_in_hours = 1});
  auto opened = service_.Open(created.token, "", "ip");
  clock_.Advance(std::chrono::minutes(61));
  EXPECT_EQ(service_.Check(created.token)->state, ShareState::kGone);
  EXPECT_EQ(service_.Session(opened->session_token)->state, ShareState::kGone);

  auto other = Create({.expires_in_hours = 1});
  auto session = service_.Open(other.token, "", "ip");
  ASSERT_TRUE(service_.Revoke(other.share.id));
  EXPECT_EQ(service_.Open(other.token, "", "ip")->state, ShareState::kGone);
  EXPECT_EQ(service_.Session(session->session_token)->state, ShareState::kGone);
  EXPECT_EQ(service_.Revoke("nope").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace systole::scope
