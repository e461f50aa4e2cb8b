// systole admin user add | user list | audit verify: thin commands over the
// security service (logic in services/security).
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cstdlib>

#include "base/log.h"
#include "server/commands.h"
#include "server/wiring.h"
#include "services/security/crypto.h"

namespace systole::server {
namespace {

std::unique_ptr<Security> OpenSecurity(const Config& config) {
  auto opened = Security::Open(config);
  if (!opened) {
    std::fprintf(stderr, "systole: %s\n", opened.error().message.c_str());
    return nullptr;
  }
  return std::move(*opened);
}

std::string CommandUser() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user ? user : "unknown");
}

}  // namespace

int RunUserAdd(const Config& config, const std::string& name, const std::string& role, std::FILE* password_source,
               const UserProfile& profile) {
  auto sec = OpenSecurity(config);
  if (!sec) return 2;
  std::string password;
  if (password_source) {
    char buffer[1024];
    if (std::fgets(buffer, sizeof buffer, password_source)) password = buffer;
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  } else {
    password = security::RandomToken();
  }
  auto user = sec->auth().AddUser(name, role, password);
  security::AuditEvent event;
  event.event_class = "admin";
  event.success = static_cast<bool>(user);
  event.user = CommandUser();
  event.remote = "local";
  event.action = fmt::format("admin user add {} --role {}", name, role);
  if (!profile.referring_name.empty()) event.action += fmt::format(" --referring-name {}", profile.referring_name);
  for (const auto& institution : profile.institutions) event.action += fmt::format(" --institution {}", institution);
  event.subject = name;
  if (auto recorded = sec->audit().Record(event); !recorded)
    std::fprintf(stderr, "systole: cannot record the change in the audit trail: %s\n", recorded.error().message.c_str());
  if (!user) {
    std::fprintf(stderr, "systole: %s\n", user.error().message.c_str());
    return user.error().code == ErrorCode::kInvalidArgument || user.error().code == ErrorCode::kAlreadyExists ? 1 : 2;
  }
  if (!profile.referring_name.empty() || !profile.institutions.empty()) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    if (auto set = scope::SetUserProfile(sec->grants(), name, profile.referring_name, profile.institutions,
                                         {CommandUser(), now});
        !set) {
      std::fprintf(stderr, "systole: user %s created but the profile was not stored: %s\n", name.c_str(),
                   set.error().message.c_str());
      return 2;
    }
  }
  std::printf("created user %s (role %s)\n", name.c_str(), role.c_str());
  if (!password_source) std::printf("password (shown once): %s\n", password.c_str());
  return 0;
}

int RunUserList(const Config& config) {
  auto sec = OpenSecurity(config);
  if (!sec) return 2;
  auto users = sec->auth().ListUsers();
  if (!users) {
    std::fprintf(stderr, "systole: %s\n", users.error().message.c_str());
    return 2;
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& u : *users) {
    auto created = std::chrono::sys_seconds(std::chrono::seconds(u.created_at));
    std::string state = u.locked_until > now
                            ? fmt::format("locked until {:%FT%T}Z", std::chrono::sys_seconds(std::chrono::seconds(u.locked_until)))
                            : "active";
    std::printf("%s\n", fmt::format("{}\t{}\tcreated {:%FT%T}Z\t{}", u.name, u.role, created, state).c_str());
  }
  return 0;
}

int RunAuditVerify(const Config& config) {
  auto sec = OpenSecurity(config);
  if (!sec) return 2;
  auto report = sec->audit().Verify();
  if (!report) {
    std::fprintf(stderr, "systole: %s\n", report.error().message.c_str());
    return 2;
  }
  if (report->first_bad_seq) {
    std::printf("audit trail BROKEN at record %lld: %s (%zu records read)\n",
                static_cast<long long>(*report->first_bad_seq), report->problem.c_str(), report->records);
    return 1;
  }
  std::printf("audit trail intact: %zu records, hash chain verified\n", report->records);
  return 0;
}

}  // namespace systole::server
