// BlobStore: durable storage of whole Part 10 files, addressed by key.
//
// Writing is two-phase so that network receivers can stream straight to disk:
// Stage() hands out a private local file to write into, Commit() makes it
// durable (fsync, rename into place, directory fsync) and returns its key,
// size and content hash. Nothing is visible under a key before Commit returns.
// Implementations are thread-safe.
#pragma once

#include <filesystem>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "domain/instance.h"

namespace systole::ports {

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // A fresh, unique local path to write a new blob into. The caller writes the
  // file, then calls Commit or Discard. Fails with kUnavailable on I/O errors.
  virtual Result<std::filesystem::path> Stage() = 0;

  // Makes the staged file durable under a new key derived from `name_hint`
  // (e.g. the SOP Instance UID) and its content. On success the staged path no
  // longer exists. On failure (kUnavailable: disk full, I/O error) the staged
  // file is removed and nothing is stored.
  virtual Result<domain::BlobRef> Commit(const std::filesystem::path& staged, std::string_view name_hint) = 0;

  // Removes a staged file that will not be committed. Never fails loudly.
  virtual void Discard(const std::filesystem::path& staged) = 0;

  // Optional hint while a staged file is being written: bytes [offset,
  // offset+length) are final, so the store may start writing them to stable
  // storage early (overlapping network receive with disk writes). Commit still
  // guarantees durability; this only makes it faster.
  virtual void StartWriteback(const std::filesystem::path& staged, std::uint64_t offset, std::uint64_t length) {}

  // Bytes that may still be stored before the store is full (for refusing new
  // data early with an out-of-resources status instead of failing mid-write).
  virtual Result<std::uint64_t> AvailableBytes() = 0;

  // A local path from which the blob can be read (for the filesystem store,
  // the file itself). kNotFound if the key does not exist.
  virtual Result<std::filesystem::path> ReadPath(std::string_view key) = 0;

  // Removes a committed blob. kNotFound if absent.
  virtual Status Remove(std::string_view key) = 0;

  // Recomputes the content hash of a committed blob (same format as BlobRef::hash).
  virtual Result<std::string> ComputeHash(std::string_view key) = 0;

  // Calls `visit` with the key of every committed blob (for verification).
  virtual Status ForEachKey(const std::function<void(const std::string&)>& visit) = 0;
};

}  // namespace systole::ports
