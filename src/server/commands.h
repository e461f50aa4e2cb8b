// The subcommands of the systole binary. Each returns the process exit code.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "server/config.h"

namespace systole::server {

// Serves DIMSE (and later HTTP, HL7) until SIGTERM/SIGINT, then drains and exits 0.
int RunServe(const Config& config);

// Imports files and folders (recursively) through the ingest pipeline, with a
// progress bar on stderr and a summary on stdout. Exit 0 if nothing was
// refused, 1 if some files were refused, 2 on a fatal error.
int RunImport(const Config& config, const std::vector<std::filesystem::path>& paths);

// Checks every indexed instance's blob exists and matches its recorded hash,
// and lists blobs no index row refers to. Exit 0 if all is well, 1 otherwise.
int RunVerify(const Config& config);

// Creates a user (password from the first line of `password_source`, or a random one
// printed once when it is null) and records the change in the audit trail.
// Exit 0, 1 when refused (bad name/role/password, name taken), 2 on a fatal error.
// `profile`: the user's referring name and institutions (services/scope), if any.
struct UserProfile {
  std::string referring_name;
  std::vector<std::string> institutions;
};
int RunUserAdd(const Config& config, const std::string& name, const std::string& role, std::FILE* password_source,
               const UserProfile& profile = {});
// Lists users (name, role, lock state). Exit 0, 2 on a fatal error.
int RunUserList(const Config& config);
// Walks the audit trail's hash chain. Exit 0 intact, 1 modified/deleted record, 2 on a fatal error.
int RunAuditVerify(const Config& config);

}  // namespace systole::server
