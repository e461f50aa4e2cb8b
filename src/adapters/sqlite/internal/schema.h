// Schema migrations of the SQLite index, applied in order at open.
#pragma once

#include "adapters/sqlite/internal/connection.h"

namespace systole::adapters::sqlite {

// Brings the database to the newest schema version, one transaction per step.
Status Migrate(Connection& connection);

}  // namespace systole::adapters::sqlite
