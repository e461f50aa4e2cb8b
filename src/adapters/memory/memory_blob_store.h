// MemoryBlobStore: a BlobStore fake for unit tests. Staged files live in a
// private temporary directory (writers need a path); committed blobs are kept
// in memory. Can be told to fail commits, to test error paths.
#pragma once

#include <map>
#include <mutex>

#include "ports/blob_store.h"

namespace systole::adapters {

class MemoryBlobStore final : public ports::BlobStore {
 public:
  MemoryBlobStore();
  ~MemoryBlobStore() override;

  Result<std::filesystem::path> Stage() override;
  Result<domain::BlobRef> Commit(const std::filesystem::path& staged, std::string_view name_hint) override;
  void Discard(const std::filesystem::path& staged) override;
  Result<std::uint64_t> AvailableBytes() override { return available_; }
  Result<std::filesystem::path> ReadPath(std::string_view key) override;
  Status Remove(std::string_view key) override;
  Result<std::string> ComputeHash(std::string_view key) override;
  Status ForEachKey(const std::function<void(const std::string&)>& visit) override;

  void FailCommits(bool fail) { fail_commits_ = fail; }
  void SetAvailableBytes(std::uint64_t bytes) { available_ = bytes; }
  std::size_t size() const { return blobs_.size(); }

 private:
  std::filesystem::path dir_;
  std::mutex mutex_;
  std::map<std::string, std::string> blobs_;
  std::uint64_t counter_ = 0;
  bool fail_commits_ = false;
  std::uint64_t available_ = std::uint64_t{1} << 40;
};

}  // namespace systole::adapters
