#include "adapters/memory/memory_blob_store.h"

#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fstream>
#include <functional>

namespace systole::adapters {
namespace fs = std::filesystem;

MemoryBlobStore::MemoryBlobStore()
    : dir_(fs::temp_directory_path() / fmt::format("systole_memblob_{}_{}", ::getpid(), static_cast<void*>(this))) {
  fs::create_directories(dir_);
}

MemoryBlobStore::~MemoryBlobStore() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Result<fs::path> MemoryBlobStore::Stage() {
  std::lock_guard lock(mutex_);
  return dir_ / fmt::format("staged_{}", counter_++);
}

Result<domain::BlobRef> MemoryBlobStore::Commit(const fs::path& staged, std::string_view name_hint) {
  std::ifstream in(staged, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  fs::remove(staged);
  if (fail_commits_) return Fail(ErrorCode::kUnavailable, "disk full (simulated)");
  std::lock_guard lock(mutex_);
  std::string hash = fmt::format("fake:{:016x}", std::hash<std::string>{}(content));
  std::string key = fmt::format("{}.{}", name_hint, counter_++);
  const auto size = content.size();
  blobs_[key] = std::move(content);
  return domain::BlobRef{key, size, hash};
}

void MemoryBlobStore::Discard(const fs::path& staged) {
  std::error_code ec;
  fs::remove(staged, ec);
}

Result<fs::path> MemoryBlobStore::ReadPath(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = blobs_.find(std::string(key));
  if (it == blobs_.end()) return Fail(ErrorCode::kNotFound, "no blob " + std::string(key));
  fs::path path = dir_ / ("read_" + std::to_string(std::hash<std::string>{}(it->first)));
  std::ofstream(path, std::ios::binary) << it->second;
  return path;
}

Status MemoryBlobStore::Remove(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (blobs_.erase(std::string(key)) == 0) return Fail(ErrorCode::kNotFound, "no blob");
  return {};
}

Result<std::string> MemoryBlobStore::ComputeHash(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = blobs_.find(std::string(key));
  if (it == blobs_.end()) return Fail(ErrorCode::kNotFound, "no blob");
  return fmt::format("fake:{:016x}", std::hash<std::string>{}(it->second));
}

Status MemoryBlobStore::ForEachKey(const std::function<void(const std::string&)>& visit) {
  std::lock_guard lock(mutex_);
  for (const auto& [key, value] : blobs_) visit(key);
  return {};
}

}  // namespace systole::adapters
