#include "adapters/syslog/syslog_format.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

namespace systole::adapters {
namespace {

// PRINTUSASCII (33..126), at most `max` characters; "-" when nothing is left.
std::string HeaderField(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() == max) break;
    if (c >= 33 && c <= 126) out.push_back(c);
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string SyslogLine(const domain::AuditRecord& record, std::string_view event_id, std::string_view hostname,
                       std::string_view app_name, int pid) {
  const auto when = std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(record.recorded_at));
  const std::string timestamp = fmt::format("{:%FT%T}.{:03}Z", std::chrono::floor<std::chrono::seconds>(when),
                                            ((record.recorded_at % 1000) + 1000) % 1000);
  return fmt::format("<{}>1 {} {} {} {} {} - {}", kAuditPriority, timestamp, HeaderField(hostname, 255),
                     HeaderField(app_name, 48), pid, HeaderField(event_id, 32), record.message);
}

std::string OctetCounted(std::string_view line) { return fmt::format("{} {}", line.size(), line); }

}  // namespace systole::adapters
