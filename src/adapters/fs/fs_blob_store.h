// FsBlobStore: the BlobStore port on a local (or shared POSIX) filesystem.
//
// Layout under the root: tmp/ holds staged files; committed blobs live at
// "<aa>/<name>.<hash16>.dcm" where aa (256 directories, made at Open) comes from a
// hash of the name.
// Commit = hash while reading back, fdatasync, rename into place, fsync the
// directory — so a blob is either complete and durable or absent after a
// crash. Leftover staged files from a crash are removed by Open().
#pragma once

#include <filesystem>
#include <memory>

#include "ports/blob_store.h"

namespace systole::adapters {

class FsBlobStore final : public ports::BlobStore {
 public:
  // Creates the root and tmp/ if needed and clears stale staged files.
  static Result<std::unique_ptr<FsBlobStore>> Open(const std::filesystem::path& root);

  Result<std::filesystem::path> Stage() override;
  Result<domain::BlobRef> Commit(const std::filesystem::path& staged, std::string_view name_hint) override;
  void Discard(const std::filesystem::path& staged) override;
  void StartWriteback(const std::filesystem::path& staged, std::uint64_t offset, std::uint64_t length) override;
  Result<std::uint64_t> AvailableBytes() override;
  Result<std::filesystem::path> ReadPath(std::string_view key) override;
  Status Remove(std::string_view key) override;
  Result<std::string> ComputeHash(std::string_view key) override;
  Status ForEachKey(const std::function<void(const std::string&)>& visit) override;

 private:
  explicit FsBlobStore(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

// "xxh3-128:<32 hex digits>" of a file's bytes, read through a reused buffer.
Result<std::string> HashFile(const std::filesystem::path& path, int already_open_fd = -1);

}  // namespace systole::adapters
