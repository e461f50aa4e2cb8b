#include "adapters/fs/fs_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <xxhash.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <random>
#include <vector>

#include "base/log.h"

namespace systole::adapters {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kHashChunk = 1 << 20;

std::string ErrnoText(const char* what, const fs::path& path) {
  return fmt::format("{} {}: {}", what, path.string(), std::strerror(errno));
}

Status FsyncPath(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Fail(ErrorCode::kUnavailable, ErrnoText("open directory", path));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Fail(ErrorCode::kUnavailable, ErrnoText("fsync directory", path));
  return {};
}

std::string SafeName(std::string_view hint) {
  std::string name;
  for (char c : hint.substr(0, 80)) name.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_');
  return name.empty() ? "blob" : name;
}

bool ValidKey(std::string_view key) {
  return !key.empty() && key.find("..") == std::string_view::npos && key.front() != '/' && !key.starts_with("tmp/");
}

}  // namespace

Result<std::string> HashFile(const fs::path& path, int already_open_fd) {
  int fd = already_open_fd >= 0 ? already_open_fd : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable, ErrnoText("open", path));
  thread_local std::vector<char> buffer(kHashChunk);
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  off_t offset = 0;
  Status status;
  while (true) {
    ssize_t n = ::pread(fd, buffer.data(), buffer.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      status = Fail(ErrorCode::kUnavailable, ErrnoText("read", path));
      break;
    }
    if (n == 0) break;
    XXH3_128bits_update(state, buffer.data(), static_cast<std::size_t>(n));
    offset += n;
  }
  XXH128_hash_t hash = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  if (already_open_fd < 0) ::close(fd);
  if (!status) return std::unexpected(status.error());
  return fmt::format("xxh3-128:{:016x}{:016x}", hash.high64, hash.low64);
}

Result<std::unique_ptr<FsBlobStore>> FsBlobStore::Open(const fs::path& root) {
  std::error_code ec;
  fs::create_directories(root / "tmp", ec);
  if (ec) return Fail(ErrorCode::kUnavailable, "cannot create blob store at " + root.string() + ": " + ec.message());
  std::size_t stale = 0;
  for (const auto& entry : fs::directory_iterator(root / "tmp", ec)) {
    fs::remove(entry.path(), ec);
    ++stale;
  }
  if (stale > 0) LOG_INFO("storage", "removed {} incomplete staged file(s) left by an earlier run", stale);
  // 256 fan-out directories, made once: a commit then costs one directory fsync, not three.
  const fs::path absolute = fs::absolute(root);
  bool created = false;
  for (int i = 0; i < 256; ++i) {
    const fs::path dir = absolute / fmt::format("{:02x}", i);
    if (::mkdir(dir.c_str(), 0755) == 0) created = true;
    else if (errno != EEXIST) return Fail(ErrorCode::kUnavailable, ErrnoText("mkdir", dir));
  }
  if (created) SYSTOLE_RETURN_IF_ERROR(FsyncPath(absolute));
  return std::unique_ptr<FsBlobStore>(new FsBlobStore(fs::absolute(root)));
}

Result<fs::path> FsBlobStore::Stage() {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  fs::path path = root_ / "tmp" / fmt::format("{:016x}-{}.part", rng(), counter.fetch_add(1));
  return path;
}

void FsBlobStore::StartWriteback(const fs::path& staged, std::uint64_t offset, std::uint64_t length) {
  int fd = ::open(staged.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
  ::close(fd);
}

Result<std::uint64_t> FsBlobStore::AvailableBytes() {
  struct statvfs info {};
  if (::statvfs(root_.c_str(), &info) != 0) return Fail(ErrorCode::kUnavailable, ErrnoText("statvfs", root_));
  return static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
}

Result<domain::BlobRef> FsBlobStore::Commit(const fs::path& staged, std::string_view name_hint) {
  int fd = ::open(staged.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(ErrorCode::kUnavailable, ErrnoText("open staged", staged));
  auto fail = [&](Error error) -> Result<domain::BlobRef> {
    ::close(fd);
    Discard(staged);
    return std::unexpected(std::move(error));
  };
  auto hash = HashFile(staged, fd);
  if (!hash) return fail(hash.error());
  if (::fdatasync(fd) != 0) return fail(Error{ErrorCode::kUnavailable, ErrnoText("fdatasync", staged)});
  struct stat st {};
  ::fstat(fd, &st);
  ::close(fd);
  fd = -1;

  const std::uint64_t name_hash = XXH3_64bits(name_hint.data(), name_hint.size());
  const fs::path dir = fmt::format("{:02x}", name_hash & 0xFF);  // created by Open()
  std::string key = (dir / fmt::format("{}.{}.dcm", SafeName(name_hint), hash->substr(9, 16))).string();
  auto discard_on_error = [&](Status s) -> Result<domain::BlobRef> {
    Discard(staged);
    return std::unexpected(s.error());
  };
  fs::path final_path = root_ / key;
  if (::rename(staged.c_str(), final_path.c_str()) != 0)
    return discard_on_error(Fail(ErrorCode::kUnavailable, ErrnoText("rename into", final_path)));
  if (auto s = FsyncPath(root_ / dir); !s) return std::unexpected(s.error());
  return domain::BlobRef{key, static_cast<std::uint64_t>(st.st_size), *hash};
}

void FsBlobStore::Discard(const fs::path& staged) { ::unlink(staged.c_str()); }

Result<fs::path> FsBlobStore::ReadPath(std::string_view key) {
  if (!ValidKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  fs::path path = root_ / key;
  if (::access(path.c_str(), R_OK) != 0) return Fail(ErrorCode::kNotFound, ErrnoText("blob", path));
  return path;
}

Status FsBlobStore::Remove(std::string_view key) {
  if (!ValidKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  fs::path path = root_ / key;
  if (::unlink(path.c_str()) != 0) {
    return Fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable, ErrnoText("unlink", path));
  }
  return {};
}

Result<std::string> FsBlobStore::ComputeHash(std::string_view key) {
  auto path = ReadPath(key);
  if (!path) return std::unexpected(path.error());
  return HashFile(*path);
}

Status FsBlobStore::ForEachKey(const std::function<void(const std::string&)>& visit) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory() && it->path().filename() == "tmp" && it.depth() == 0) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) visit(fs::relative(it->path(), root_).string());
  }
  if (ec) return Fail(ErrorCode::kUnavailable, "listing blobs: " + ec.message());
  return {};
}

}  // namespace systole::adapters
