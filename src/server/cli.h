// Command-line parsing for the systole binary.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "server/config.h"

namespace systole::server {

struct CommandLine {
  std::string command;                      // serve, import, version, admin-verify, admin-user-add,
                                            // admin-user-list, admin-audit-verify, help
  std::filesystem::path config_file;        // --config
  Overrides overrides;                      // flags mapped to configuration keys
  std::vector<std::filesystem::path> paths; // import arguments
  std::string user_name, user_role;         // admin user add --name --role
  bool password_stdin = false;              // admin user add --password-stdin
  std::string referring_name;               // admin user add --referring-name (their patients' studies)
  std::vector<std::string> institutions;    // admin user add --institution (repeatable: site restriction)
};

Result<CommandLine> ParseCommandLine(int argc, char** argv);

extern const char* const kUsage;

}  // namespace systole::server
