// Logging: one line per event on stderr, "<UTC time> <LEVEL> <component>: <message>".
//
// Thread-safe; lines from different threads never interleave. The minimum
// level is set once at start-up (SetLogLevel); there is no other global state.
#pragma once

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <string_view>

namespace systole {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, std::string_view component, std::string_view message);

template <typename... Args>
void Log(LogLevel level, std::string_view component, fmt::format_string<Args...> fmt, Args&&... args) {
  if (!LogEnabled(level)) return;
  LogLine(level, component, fmt::format(fmt, std::forward<Args>(args)...));
}

// Parses "debug", "info", "warning", "error"; false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel& out);

}  // namespace systole

#define LOG_DEBUG(component, ...) ::systole::Log(::systole::LogLevel::kDebug, component, __VA_ARGS__)
#define LOG_INFO(component, ...) ::systole::Log(::systole::LogLevel::kInfo, component, __VA_ARGS__)
#define LOG_WARN(component, ...) ::systole::Log(::systole::LogLevel::kWarning, component, __VA_ARGS__)
#define LOG_ERROR(component, ...) ::systole::Log(::systole::LogLevel::kError, component, __VA_ARGS__)
