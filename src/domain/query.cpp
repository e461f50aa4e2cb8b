#include "domain/query.h"

#include <algorithm>
#include <cctype>

namespace systole::domain {
namespace {

std::vector<std::string> SplitBackslash(std::string_view raw) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = raw.find('\\', start);
    parts.emplace_back(raw.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return std::string(s);
}

bool IsDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) || c == '.'; });
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Glob match with '*' (any run) and '?' (one character); iterative, no recursion.
bool WildcardMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p; ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool MatchOne(Attribute attribute, const Matcher& m, std::string_view stored_raw) {
  const ValueKind kind = Info(attribute).kind;
  const bool fold = kind == ValueKind::kPersonName;
  std::string stored = fold ? Upper(stored_raw) : std::string(stored_raw);
  switch (m.kind) {
    case Matcher::Kind::kUniversal: return true;
    case Matcher::Kind::kSingle: return stored == (fold ? Upper(m.value) : m.value);
    case Matcher::Kind::kWildcard: return WildcardMatch(fold ? Upper(m.value) : m.value, stored);
    case Matcher::Kind::kRange:
      if (stored.empty()) return false;
      if (!m.low.empty() && stored < m.low) return false;
      // An upper bound is inclusive of everything it prefixes ("1200" covers "120030.5").
      if (!m.high.empty() && stored > m.high && stored.compare(0, m.high.size(), m.high) != 0) return false;
      return true;
    case Matcher::Kind::kUidList:
      return std::find(m.list.begin(), m.list.end(), stored) != m.list.end();
  }
  return false;
}

}  // namespace

Result<Matcher> ParseMatcher(Attribute attribute, std::string_view raw_in) {
  const AttributeInfo& info = Info(attribute);
  std::string raw = Trim(raw_in);
  Matcher m;
  if (raw.empty() || raw == "*") return m;  // universal
  switch (info.kind) {
    case ValueKind::kUid: {
      auto uids = SplitBackslash(raw);
      for (auto& uid : uids) {
        uid = Trim(uid);
        if (uid.empty() || uid.size() > 64 || !IsDigits(uid))
          return Fail(ErrorCode::kInvalidArgument, std::string(info.keyword) + ": not a UID or UID list: '" + raw + "'");
      }
      if (uids.size() == 1) {
        m.kind = Matcher::Kind::kSingle;
        m.value = uids[0];
      } else {
        m.kind = Matcher::Kind::kUidList;
        m.list = std::move(uids);
      }
      return m;
    }
    case ValueKind::kDate:
    case ValueKind::kTime: {
      const bool date = info.kind == ValueKind::kDate;
      std::size_t dash = raw.find('-');
      auto valid = [&](std::string_view v) {
        if (date) return v.empty() || (v.size() == 8 && IsDigits(v) && v.find('.') == std::string_view::npos);
        return v.empty() || (v.size() >= 2 && IsDigits(v));
      };
      if (dash == std::string::npos) {
        if (!valid(raw)) return Fail(ErrorCode::kInvalidArgument, std::string(info.keyword) + ": malformed value '" + raw + "'");
        if (date) {
          m.kind = Matcher::Kind::kSingle;
          m.value = raw;
        } else {  // a single time matches everything it prefixes (e.g. "10" = the 10 o'clock hour)
          m.kind = Matcher::Kind::kRange;
          m.low = raw;
          m.high = raw;
        }
        return m;
      }
      m.kind = Matcher::Kind::kRange;
      m.low = Trim(std::string_view(raw).substr(0, dash));
      m.high = Trim(std::string_view(raw).substr(dash + 1));
      if (!valid(m.low) || !valid(m.high) || (m.low.empty() && m.high.empty()) ||
          (!m.low.empty() && !m.high.empty() && m.low > m.high))
        return Fail(ErrorCode::kInvalidArgument, std::string(info.keyword) + ": malformed range '" + raw + "'");
      return m;
    }
    case ValueKind::kMultiText: {
      m.kind = Matcher::Kind::kUidList;
      m.list = SplitBackslash(raw);
      for (auto& v : m.list) v = Trim(v);
      return m;
    }
    case ValueKind::kText:
    case ValueKind::kPersonName:
    case ValueKind::kCount:
      if (info.kind != ValueKind::kCount && raw.find_first_of("*?") != std::string::npos) {
        m.kind = Matcher::Kind::kWildcard;
      } else {
        m.kind = Matcher::Kind::kSingle;
      }
      m.value = raw;
      return m;
  }
  return Fail(ErrorCode::kInternal, "unhandled value kind");
}

bool Matches(Attribute attribute, const Matcher& matcher, std::string_view stored) {
  if (Info(attribute).kind == ValueKind::kMultiText) {
    // Stored as "\A\B\" (delimited on both sides); any requested value may match any stored one.
    if (matcher.kind == Matcher::Kind::kUniversal) return true;
    for (const auto& wanted : matcher.list) {
      std::string needle = "\\" + wanted + "\\";
      if (std::string_view(stored).find(needle) != std::string_view::npos) return true;
    }
    return false;
  }
  return MatchOne(attribute, matcher, stored);
}

}  // namespace systole::domain
