// Translation of a domain::Query into SQL over the index schema.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "domain/query.h"

namespace systole::adapters::sqlite {

struct SqlQuery {
  std::string where;                 // " WHERE ..." or empty
  std::vector<std::string> params;   // bound in order, as text
};

// "patients p", "studies s JOIN patients p ...", down to `level`.
std::string FromClause(domain::Level level);
// "p.PatientID" etc.
std::string Column(domain::Attribute attribute);
// Conditions of `query`; kInvalidArgument if one names a level below `max_level`.
Result<SqlQuery> WhereClause(const domain::Query& query, domain::Level max_level);

}  // namespace systole::adapters::sqlite
