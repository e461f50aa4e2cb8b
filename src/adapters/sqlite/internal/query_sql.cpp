#include "adapters/sqlite/internal/query_sql.h"

namespace systole::adapters::sqlite {
namespace {

using domain::Attribute;
using domain::Level;
using domain::Matcher;
using domain::ValueKind;

const char* Alias(Level level) {
  switch (level) {
    case Level::kPatient: return "p";
    case Level::kStudy: return "s";
    case Level::kSeries: return "r";
    case Level::kInstance: return "i";
  }
  return "?";
}

std::string GlobPattern(const std::string& wildcard) {
  std::string out;
  for (char c : wildcard) {
    if (c == '[') out += "[[]";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

std::string FromClause(Level level) {
  switch (level) {
    case Level::kPatient: return "patients p";
    case Level::kStudy: return "studies s JOIN patients p ON p.pk = s.patient_pk";
    case Level::kSeries:
      return "series r JOIN studies s ON s.pk = r.study_pk JOIN patients p ON p.pk = s.patient_pk";
    case Level::kInstance:
      return "instances i JOIN series r ON r.pk = i.series_pk JOIN studies s ON s.pk = r.study_pk "
             "JOIN patients p ON p.pk = s.patient_pk";
  }
  return {};
}

std::string Column(Attribute attribute) {
  const auto& info = domain::Info(attribute);
  return std::string(Alias(info.level)) + "." + std::string(info.keyword);
}

Result<SqlQuery> WhereClause(const domain::Query& query, Level max_level) {
  SqlQuery out;
  std::string clauses;
  auto add = [&](const std::string& clause) { clauses += (clauses.empty() ? " WHERE " : " AND ") + clause; };
  for (const auto& condition : query.conditions) {
    const auto& info = domain::Info(condition.attribute);
    if (static_cast<int>(info.level) > static_cast<int>(max_level))
      return Fail(ErrorCode::kInvalidArgument, std::string(info.keyword) + " cannot be matched at the " +
                                                   domain::LevelName(max_level) + " level");
    const std::string col = Column(condition.attribute);
    const Matcher& m = condition.matcher;
    const bool pn = info.kind == ValueKind::kPersonName;
    switch (m.kind) {
      case Matcher::Kind::kUniversal: break;
      case Matcher::Kind::kSingle:
        if (info.kind == ValueKind::kCount) add(col + " = CAST(? AS INTEGER)");
        else add(col + (pn ? " = ? COLLATE NOCASE" : " = ? COLLATE BINARY"));
        out.params.push_back(m.value);
        break;
      case Matcher::Kind::kWildcard:
        add(pn ? "upper(" + col + ") GLOB upper(?)" : col + " GLOB ?");
        out.params.push_back(GlobPattern(m.value));
        break;
      case Matcher::Kind::kRange: {
        std::string clause = col + " <> ''";
        if (!m.low.empty()) {
          clause += " AND " + col + " >= ?";
          out.params.push_back(m.low);
        }
        if (!m.high.empty()) {
          clause += " AND (" + col + " <= ? OR substr(" + col + ", 1, length(?)) = ?)";
          out.params.insert(out.params.end(), {m.high, m.high, m.high});
        }
        add(clause);
        break;
      }
      case Matcher::Kind::kUidList: {
        std::string clause;
        for (const auto& value : m.list) {
          if (!clause.empty()) clause += info.kind == ValueKind::kMultiText ? " OR " : ", ";
          if (info.kind == ValueKind::kMultiText) {
            clause += "instr(" + col + ", ?) > 0";
            out.params.push_back("\\" + value + "\\");
          } else {
            clause += "?";
            out.params.push_back(value);
          }
        }
        add(info.kind == ValueKind::kMultiText ? "(" + clause + ")" : col + " IN (" + clause + ")");
        break;
      }
    }
  }
  out.where = std::move(clauses);
  return out;
}

}  // namespace systole::adapters::sqlite
