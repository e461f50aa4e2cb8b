#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "base/thread.h"
#include "server/commands.h"
#include "server/wiring.h"

namespace systole::server {
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> CollectFiles(const std::vector<fs::path>& paths, std::vector<std::string>& problems) {
  std::vector<fs::path> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else if (fs::is_directory(path, ec)) {
      for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && !it->path().filename().string().starts_with(".")) files.push_back(it->path());
      }
    } else {
      problems.push_back(path.string() + ": no such file or folder");
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), tty_(::isatty(STDERR_FILENO)) {}
  void Tick(std::size_t done) {
    const int percent = total_ ? static_cast<int>(done * 100 / total_) : 100;
    if (tty_) {
      const int width = 40, filled = percent * width / 100;
      std::fprintf(stderr, "\r[%s%s] %3d%% %zu/%zu", std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), percent, done, total_);
      if (done == total_) std::fputc('\n', stderr);
    } else if (percent / 10 != last_decile_ || done == total_) {
      last_decile_ = percent / 10;
      std::fprintf(stderr, "import: %3d%% (%zu/%zu files)\n", percent, done, total_);
    }
    std::fflush(stderr);
  }

 private:
  std::size_t total_;
  bool tty_;
  int last_decile_ = -1;
};

}  // namespace

int RunImport(const Config& config, const std::vector<fs::path>& paths) {
  auto archive = Archive::Open(config);
  if (!archive) {
    LOG_ERROR("import", "cannot open the archive in {}: {}", config.data_dir.string(), archive.error().message);
    return 2;
  }
  std::vector<std::string> problems;
  const auto files = CollectFiles(paths, problems);
  Progress progress(files.size());

  std::mutex mutex;
  std::map<services::IngestOutcome::Kind, std::size_t> counts;
  std::map<std::string, std::vector<std::string>> refusals;  // reason → files
  std::atomic<std::size_t> next{0}, done{0};
  auto worker = [&] {
    while (true) {
      const std::size_t i = next++;
      if (i >= files.size()) return;
      auto outcome = (*archive)->ingest().IngestFile(files[i], "import:" + files[i].string());
      std::lock_guard lock(mutex);
      ++counts[outcome.kind];
      if (!outcome.ok()) refusals[outcome.error->message].push_back(files[i].string());
      for (const auto& w : outcome.warnings) LOG_DEBUG("import", "{}: {}", files[i].string(), w);
      progress.Tick(++done);
    }
  };
  {
    // Parsing recurses as deep as a file's sequences nest: big stacks.
    std::vector<DeepStackThread> threads;
    const unsigned workers = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    for (unsigned t = 0; t < workers; ++t) threads.emplace_back(worker);
  }
  using Kind = services::IngestOutcome::Kind;
  std::printf("import summary: %zu file(s): %zu stored, %zu duplicate, %zu replaced, %zu refused\n", files.size(),
              counts[Kind::kStored], counts[Kind::kDuplicate], counts[Kind::kReplaced], counts[Kind::kRefused]);
  for (const auto& [reason, list] : refusals) {
    std::printf("  refused (%zu): %s\n", list.size(), reason.c_str());
    for (const auto& file : list) std::printf("      %s\n", file.c_str());
  }
  for (const auto& problem : problems) std::printf("  not found: %s\n", problem.c_str());
  return (counts[Kind::kRefused] > 0 || !problems.empty()) ? 1 : 0;
}

}  // namespace systole::server
