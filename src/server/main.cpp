// systole: the cardiology PACS. Parses the command line, loads the
// configuration, runs one subcommand.
#include <dcmtk/dcmdata/dcuid.h>

#include <cstdio>

#include "base/log.h"
#include "server/cli.h"
#include "server/commands.h"

extern char** environ;

int main(int argc, char** argv) {
  using namespace systole;
  auto cli = server::ParseCommandLine(argc, argv);
  if (!cli) {
    std::fprintf(stderr, "systole: %s\n\n%s", cli.error().message.c_str(), server::kUsage);
    return 2;
  }
  if (cli->command == "help") {
    std::fputs(server::kUsage, stdout);
    return 0;
  }
  if (cli->command == "version") {
    std::printf("systole %s (DCMTK %s)\n", SYSTOLE_VERSION, OFFIS_DCMTK_VERSION_STRING);
    return 0;
  }
  auto config = server::LoadConfig(cli->config_file, cli->overrides, environ);
  if (!config) {
    std::fprintf(stderr, "systole: %s\n", config.error().message.c_str());
    return 2;
  }
  SetLogLevel(config->log_level);
  if (cli->command == "serve") return server::RunServe(*config);
  if (cli->command == "import") return server::RunImport(*config, cli->paths);
  if (cli->command == "admin-user-add")
    return server::RunUserAdd(*config, cli->user_name, cli->user_role, cli->password_stdin ? stdin : nullptr,
                              {cli->referring_name, cli->institutions});
  if (cli->command == "admin-user-list") return server::RunUserList(*config);
  if (cli->command == "admin-audit-verify") return server::RunAuditVerify(*config);
  return server::RunVerify(*config);
}
