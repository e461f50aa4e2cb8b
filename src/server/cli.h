// Command-line parsing for the systole binary.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "server/config.h"

namespace systole::server {

struct CommandLine {
  std::string command;                      // serve, import, version, admin-verify, help
  std::filesystem::path config_file;        // --config
  Overrides overrides;                      // flags mapped to configuration keys
  std::vector<std::filesystem::path> paths; // import arguments
};

Result<CommandLine> ParseCommandLine(int argc, char** argv);

extern const char* const kUsage;

}  // namespace systole::server
