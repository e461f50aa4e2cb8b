// ports::AccessGrants: the same checks on the SQLite adapter and the in-memory fake.
#include "adapters/sqlite/sqlite_access_grants.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "adapters/memory/memory_access_grants.h"

namespace systole::adapters {
namespace {

class AccessGrantsTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!GetParam()) {
      grants_ = std::make_unique<MemoryAccessGrants>();
      return;
    }
    dir_ = std::filesystem::temp_directory_path() / fmt::format("systole_grants_test_{}", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = SqliteAccessGrants::Open(dir_ / "index.db");
    ASSERT_TRUE(opened) << opened.error().message;
    grants_ = std::move(*opened);
  }
  void TearDown() override {
    grants_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  static domain::Share MakeShare(const std::string& id, const std::string& study, std::int64_t at) {
    return {id, "hash-" + id, study, "gp", true, false, "", 0, "dr", at, at + 1000, 0};
  }

  std::filesystem::path dir_;
  std::unique_ptr<ports::AccessGrants> grants_;
};

TEST_P(AccessGrantsTest, GrantsAreAddedListedAndRemoved) {
  auto first = grants_->AddGrant({0, "assignment", "ai1", "1.2.3", "", "root", 10, 0});
  auto second = grants_->AddGrant({0, "break_glass", "smith", "patient:P1", "reason here", "smith", 20, 99});
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  auto listed = grants_->ListGrants("break_glass", "");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  const auto& g = listed->front();
  EXPECT_EQ(g.id, *second);
  EXPECT_EQ(g.user, "smith");
  EXPECT_EQ(g.value, "patient:P1");
  EXPECT_EQ(g.reason, "reason here");
  EXPECT_EQ(g.expires_at, 99);
  EXPECT_TRUE(grants_->ListGrants("assignment", "someone-else")->empty());
  EXPECT_EQ(*grants_->RemoveGrants("assignment", "ai1", "1.2.3"), 1);
  EXPECT_EQ(*grants_->RemoveGrants("assignment", "ai1", "1.2.3"), 0);
}

TEST_P(AccessGrantsTest, SharesAreFoundByIdAndTokenHashListedNewestFirstAndUpdated) {
  ASSERT_TRUE(grants_->AddShare(MakeShare("a", "1.2.1", 100)));
  ASSERT_TRUE(grants_->AddShare(MakeShare("b", "1.2.1", 200)));
  ASSERT_TRUE(grants_->AddShare(MakeShare("c", "1.2.2", 300)));
  EXPECT_EQ(grants_->AddShare(MakeShare("a", "1.2.9", 400)).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(grants_->FindShareByToken("hash-b")->id, "b");
  EXPECT_EQ(grants_->FindShare("nope").error().code, ErrorCode::kNotFound);
  auto of_study = grants_->ListShares("1.2.1");
  ASSERT_EQ(of_study->size(), 2u);
  EXPECT_EQ((*of_study)[0].id, "b");
  EXPECT_EQ(grants_->ListShares("")->size(), 3u);
  auto share = *grants_->FindShare("a");
  EXPECT_TRUE(share.report);
  EXPECT_FALSE(share.download);
  share.failed_pins = 2;
  share.revoked_at = 150;
  ASSERT_TRUE(grants_->UpdateShare(share));
  EXPECT_EQ(grants_->FindShare("a")->failed_pins, 2);
  EXPECT_EQ(grants_->FindShare("a")->revoked_at, 150);
  EXPECT_EQ(grants_->UpdateShare(MakeShare("zz", "1", 1)).error().code, ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Adapters, AccessGrantsTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sqlite" : "Memory"; });

}  // namespace
}  // namespace systole::adapters
