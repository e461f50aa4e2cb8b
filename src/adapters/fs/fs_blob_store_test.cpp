#include "adapters/fs/fs_blob_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

namespace systole::adapters {
namespace {
namespace fs = std::filesystem;

class FsBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("systole_blob_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    auto store = FsBlobStore::Open(root_);
    ASSERT_TRUE(store);
    store_ = std::move(*store);
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path StageWith(const std::string& content) {
    auto staged = store_->Stage();
    EXPECT_TRUE(staged);
    std::ofstream(*staged, std::ios::binary) << content;
    return *staged;
  }

  fs::path root_;
  std::unique_ptr<FsBlobStore> store_;
};

TEST_F(FsBlobStoreTest, CommitMakesTheBlobReadableUnderItsKey) {
  auto staged = StageWith("hello dicom");
  auto ref = store_->Commit(staged, "1.2.3.4");
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_FALSE(fs::exists(staged));
  EXPECT_EQ(ref->size, 11u);
  EXPECT_TRUE(ref->hash.starts_with("xxh3-128:"));
  EXPECT_EQ(ref->hash.size(), 9u + 32u);
  auto path = store_->ReadPath(ref->key);
  ASSERT_TRUE(path);
  std::ifstream in(*path);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "hello dicom");
  EXPECT_EQ(*store_->ComputeHash(ref->key), ref->hash);
}

TEST_F(FsBlobStoreTest, BlobsSpreadOverFanOutDirectoriesMadeAtOpen) {
  std::size_t dirs = 0;
  for (const auto& entry : fs::directory_iterator(root_))
    if (entry.is_directory() && entry.path().filename() != "tmp") ++dirs;
  EXPECT_EQ(dirs, 256u);
  auto ref = store_->Commit(StageWith("x"), "1.2.840.1");
  ASSERT_TRUE(ref);
  EXPECT_EQ(std::count(ref->key.begin(), ref->key.end(), '/'), 1) << ref->key;
}

TEST_F(FsBlobStoreTest, SameNameDifferentContentGetsDifferentKeys) {
  auto a = store_->Commit(StageWith("first"), "1.2.3");
  auto b = store_->Commit(StageWith("second"), "1.2.3");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->key, b->key);
  EXPECT_NE(a->hash, b->hash);
}

TEST_F(FsBlobStoreTest, DetectsChangedContent) {
  auto ref = store_->Commit(StageWith("original"), "9.9");
  ASSERT_TRUE(ref);
  std::ofstream(root_ / ref->key, std::ios::binary | std::ios::trunc) << "tampered";
  EXPECT_NE(*store_->ComputeHash(ref->key), ref->hash);
}

TEST_F(FsBlobStoreTest, ListsCommittedBlobsButNotStagedOnes) {
  auto ref = store_->Commit(StageWith("x"), "1.1");
  StageWith("still being written");
  std::set<std::string> keys;
  ASSERT_TRUE(store_->ForEachKey([&](const std::string& k) { keys.insert(k); }));
  EXPECT_EQ(keys, std::set<std::string>{ref->key});
}

TEST_F(FsBlobStoreTest, OpenRemovesStaleStagedFiles) {
  auto staged = StageWith("crash leftover");
  auto reopened = FsBlobStore::Open(root_);
  ASSERT_TRUE(reopened);
  EXPECT_FALSE(fs::exists(staged));
}

TEST_F(FsBlobStoreTest, RefusesKeysThatEscapeTheRoot) {
  EXPECT_EQ(store_->ReadPath("../etc/passwd").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->Remove("/etc/passwd").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadPath("aa/missing.dcm").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace systole::adapters
