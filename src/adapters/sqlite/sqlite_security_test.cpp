#include "adapters/sqlite/sqlite_security.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

namespace systole::adapters {
namespace {

class SqliteSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / fmt::format("systole_security_test_{}", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = SqliteSecurityStore::Open(dir_ / "index.db");
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  domain::AuditRecord Record(std::int64_t seq, std::string user, std::string study) {
    return {seq, 1000 * seq, std::move(user), "P1", std::move(study), "{}", "prev", fmt::format("h{}", seq)};
  }
  // Runs SQL directly, as someone with file access would.
  int Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "index.db").c_str(), &db);
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rc;
  }

  std::filesystem::path dir_;
  std::unique_ptr<SqliteSecurityStore> store_;
};

TEST_F(SqliteSecurityTest, UsersRoundTripAndNamesAreUnique) {
  ASSERT_TRUE(store_->AddUser({"alice", "cardiologist", "$argon2id$x", 0, 0, 42}));
  EXPECT_EQ(store_->AddUser({"alice", "admin", "$argon2id$y", 0, 0, 43}).error().code, ErrorCode::kAlreadyExists);
  auto alice = store_->FindUser("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->role, "cardiologist");
  alice->failed_logins = 2;
  alice->locked_until = 99;
  ASSERT_TRUE(store_->UpdateLoginState(*alice));
  EXPECT_EQ(store_->FindUser("alice")->locked_until, 99);
  EXPECT_EQ(store_->FindUser("alice")->failed_logins, 2);
  EXPECT_EQ(store_->FindUser("alice' OR '1'='1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->ListUsers()->size(), 1u);
}

TEST_F(SqliteSecurityTest, SessionsRoundTrip) {
  ASSERT_TRUE(store_->AddUser({"alice", "cardiologist", "$argon2id$x", 0, 0, 42}));
  ASSERT_TRUE(store_->AddSession({"abc", "alice", "session", 10, 10, ""}));
  ASSERT_TRUE(store_->TouchSession("abc", 20));
  auto session = store_->FindSession("abc");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->last_seen_at, 20);
  EXPECT_EQ(session->user, "alice");
  ASSERT_TRUE(store_->RemoveSession("abc"));
  EXPECT_EQ(store_->FindSession("abc").error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteSecurityTest, AuditIsAppendOnlyInSeqOrder) {
  EXPECT_EQ(store_->LastRecord().error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->Append(Record(1, "alice", "1.2")));
  EXPECT_EQ(store_->Append(Record(1, "bob", "1.3")).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->Append(Record(3, "bob", "1.3")).error().code, ErrorCode::kAlreadyExists);
  ASSERT_TRUE(store_->Append(Record(2, "bob", "1.3")));
  EXPECT_EQ(store_->LastRecord()->hash, "h2");
  EXPECT_NE(Exec("UPDATE audit_log SET user = 'x'"), SQLITE_OK);
  EXPECT_NE(Exec("DELETE FROM audit_log"), SQLITE_OK);
  std::vector<std::int64_t> seqs;
  ASSERT_TRUE(store_->ForEachRecord([&](const domain::AuditRecord& r) { seqs.push_back(r.seq); }));
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{1, 2}));
}

TEST_F(SqliteSecurityTest, SearchBindsEveryFilter) {
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(store_->Append(Record(i, i == 2 ? "bob" : "alice", fmt::format("1.{}", i))));
  EXPECT_EQ(store_->Search({.user = "alice"})->size(), 2u);
  EXPECT_EQ(store_->Search({.user = "alice' OR '1'='1"})->size(), 0u);
  EXPECT_EQ(store_->Search({.study = "1.3"})->size(), 1u);
  EXPECT_EQ(store_->Search({.patient = "P1", .from = 2000, .to = 3000})->size(), 2u);
  EXPECT_EQ(store_->Search({.limit = 1})->size(), 1u);
}

}  // namespace
}  // namespace systole::adapters
