// The one query model of Systole: a level, a list of matching conditions, and
// paging. C-FIND, QIDO-RS and (later) FHIR search all build a Query; the index
// ports answer it. Matching follows PS3.4 C.2.2.2: universal, single value,
// wildcard (* and ?), range (dates, times), and UID lists.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "domain/attribute.h"
#include "domain/instance.h"

namespace systole::domain {

struct Matcher {
  enum class Kind { kUniversal, kSingle, kWildcard, kRange, kUidList };
  Kind kind = Kind::kUniversal;
  std::string value;              // kSingle, kWildcard (the pattern)
  std::string low, high;          // kRange; either may be empty (open)
  std::vector<std::string> list;  // kUidList, or several values for multi-valued attributes
};

// Interprets a raw query value for `attribute` (already UTF-8). Empty = universal.
// Fails with kInvalidArgument on a value the attribute's kind cannot take
// (e.g. a wildcard in a UID, a malformed date range).
Result<Matcher> ParseMatcher(Attribute attribute, std::string_view raw);

// True if `stored` (the indexed value) satisfies `matcher` for `attribute`.
// The reference semantics; SQL adapters must agree with it (contract tests).
bool Matches(Attribute attribute, const Matcher& matcher, std::string_view stored);

struct Condition {
  Attribute attribute;
  Matcher matcher;
};

struct Query {
  Level level = Level::kStudy;
  std::vector<Condition> conditions;  // all must hold
  std::size_t offset = 0;
  std::size_t limit = 0;              // 0 = no limit
};

// One answer: the values of every attribute at the query's level and above
// (attributes below the level are empty).
using QueryRow = AttributeValues;

}  // namespace systole::domain
