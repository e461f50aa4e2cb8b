#include <cstdio>
#include <set>

#include "base/log.h"
#include "server/commands.h"
#include "server/wiring.h"

namespace systole::server {

int RunVerify(const Config& config) {
  auto archive = Archive::Open(config);
  if (!archive) {
    LOG_ERROR("verify", "cannot open the archive in {}: {}", config.data_dir.string(), archive.error().message);
    return 2;
  }
  auto& blobs = (*archive)->blobs();
  std::size_t checked = 0, missing = 0, corrupt = 0, orphans = 0;
  std::set<std::string> referenced;
  auto status = (*archive)->index().ForEachInstance([&](const domain::StoredInstance& instance) {
    ++checked;
    referenced.insert(instance.blob.key);
    auto hash = blobs.ComputeHash(instance.blob.key);
    if (!hash) {
      ++missing;
      std::printf("MISSING  %s  blob %s: %s\n", instance.sop_instance_uid.c_str(), instance.blob.key.c_str(),
                  hash.error().message.c_str());
    } else if (*hash != instance.blob.hash) {
      ++corrupt;
      std::printf("CORRUPT  %s  blob %s: hash %s, recorded %s\n", instance.sop_instance_uid.c_str(),
                  instance.blob.key.c_str(), hash->c_str(), instance.blob.hash.c_str());
    }
  });
  if (!status) {
    LOG_ERROR("verify", "reading the index failed: {}", status.error().message);
    return 2;
  }
  (void)blobs.ForEachKey([&](const std::string& key) {
    if (referenced.count(key)) return;
    ++orphans;
    std::printf("ORPHAN   blob %s is not referenced by the index (left by an interrupted ingest?)\n", key.c_str());
  });
  std::printf("verify summary: %zu instance(s) checked, %zu missing, %zu corrupt, %zu orphan blob(s)\n", checked,
              missing, corrupt, orphans);
  return (missing || corrupt) ? 1 : 0;
}

}  // namespace systole::server
