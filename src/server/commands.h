// The subcommands of the systole binary. Each returns the process exit code.
#pragma once

#include <filesystem>
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

}  // namespace systole::server
