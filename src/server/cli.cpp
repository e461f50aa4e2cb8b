#include "server/cli.h"

#include <cstdlib>
#include <map>

namespace systole::server {

const char* const kUsage = R"(usage: systole <command> [options]

commands:
  serve            run the archive (DICOM DIMSE) until SIGTERM
  import PATH...   store files and folders (recursively) through the ingest pipeline
  admin verify     check every stored file against its recorded hash
  admin user add --name N --role R [--password-stdin] [--referring-name PN] [--institution I]...
                   create a user (password: first line of stdin, else a random one printed once);
                   --referring-name: the ReferringPhysicianName of their patients' studies (referring);
                   --institution: see only studies from these InstitutionName values
  admin user list  list users and their roles
  admin audit verify  walk the audit trail's hash chain; exit 1 at the first modified or deleted record
  version          print the version

options (every command):
  --config FILE        TOML configuration (see config/systole.example.toml)
  --data DIR           data directory (index and files), default ./var
  --ae-title AET       our DICOM AE title
  --dicom-port N       DICOM port (0 = any free port)
  --http-port N        HTTP port (0 = any free port)
  --hl7-port N         HL7 MLLP port (0 = any free port)
  --peer AET=HOST:PORT a known peer and C-MOVE destination (repeatable)
  --allow-peer AET[@HOST]  only these calling AE titles may associate (repeatable)
  --log-level LEVEL    debug, info, warning or error
Environment variables SYSTOLE_<SECTION>_<KEY> override flags and file.
)";

Result<CommandLine> ParseCommandLine(int argc, char** argv) {
  static const std::map<std::string, std::string> kFlagKeys = {
      {"--data", "server.data_dir"},       {"--ae-title", "dicom.ae_title"}, {"--dicom-port", "dicom.port"},
      {"--http-port", "http.port"},        {"--hl7-port", "hl7.port"},       {"--peer", "dicom.peers"},
      {"--allow-peer", "dicom.allowed_peers"}, {"--log-level", "server.log_level"},
  };
  CommandLine cli;
  if (argc < 2) return Fail(ErrorCode::kInvalidArgument, "no command given");
  cli.command = argv[1];
  int i = 2;
  if (cli.command == "admin") {
    const std::string sub = argc >= 3 ? argv[2] : "", action = argc >= 4 ? argv[3] : "";
    if (sub == "verify") {
      cli.command = "admin-verify";
      i = 3;
    } else if ((sub == "user" && (action == "add" || action == "list")) || (sub == "audit" && action == "verify")) {
      cli.command = "admin-" + sub + "-" + action;
      i = 4;
    } else {
      return Fail(ErrorCode::kInvalidArgument, "admin: expected 'verify', 'user add', 'user list' or 'audit verify'");
    }
  }
  if (cli.command == "--help" || cli.command == "-h" || cli.command == "help") {
    cli.command = "help";
    return cli;
  }
  if (cli.command != "serve" && cli.command != "import" && cli.command != "version" && !cli.command.starts_with("admin-"))
    return Fail(ErrorCode::kInvalidArgument, "unknown command '" + cli.command + "'");
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    auto eq = arg.find('=');
    if (arg.starts_with("--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg.starts_with("--") && arg != "--no-auth" && arg != "--password-stdin") {
      if (i + 1 >= argc) return Fail(ErrorCode::kInvalidArgument, arg + " needs a value");
      value = argv[++i];
    }
    if (arg == "--config") {
      cli.config_file = value;
    } else if (cli.command == "admin-user-add" && (arg == "--name" || arg == "--role")) {
      (arg == "--name" ? cli.user_name : cli.user_role) = value;
    } else if (cli.command == "admin-user-add" && arg == "--referring-name") {
      cli.referring_name = value;
    } else if (cli.command == "admin-user-add" && arg == "--institution") {
      cli.institutions.push_back(value);
    } else if (cli.command == "admin-user-add" && arg == "--password-stdin") {
      cli.password_stdin = true;
    } else if (arg == "--no-auth") {
      cli.overrides["http.no_auth"].push_back("true");
    } else if (auto it = kFlagKeys.find(arg); it != kFlagKeys.end()) {
      cli.overrides[it->second].push_back(value);
    } else if (!arg.starts_with("--") && cli.command == "import") {
      cli.paths.emplace_back(arg);
    } else {
      return Fail(ErrorCode::kInvalidArgument, "unknown option '" + arg + "'");
    }
  }
  if (cli.command == "import" && cli.paths.empty()) return Fail(ErrorCode::kInvalidArgument, "import: no PATH given");
  if (cli.command == "admin-user-add" && (cli.user_name.empty() || cli.user_role.empty()))
    return Fail(ErrorCode::kInvalidArgument, "admin user add: --name and --role are required");
  if (cli.config_file.empty()) {
    if (const char* env = std::getenv("SYSTOLE_CONFIG")) cli.config_file = env;
  }
  return cli;
}

}  // namespace systole::server
