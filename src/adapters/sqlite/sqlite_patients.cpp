// The PatientDirectory port of SqliteIndex: the patients table, merged rows left out.
#include "adapters/sqlite/internal/connection.h"
#include "adapters/sqlite/sqlite_index.h"

namespace systole::adapters {

Result<std::vector<domain::Patient>> SqliteIndex::FindPatients(const ports::PatientLookup& lookup) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(
      "SELECT PatientID, IssuerOfPatientID, PatientName, PatientBirthDate, PatientSex FROM patients "
      "WHERE merged_into_pk IS NULL AND PatientID != '' AND (?1 = '' OR PatientID = ?1) AND (?2 = 0 OR "
      "IssuerOfPatientID = ?3) ORDER BY PatientID, IssuerOfPatientID, pk");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, lookup.id).Bind(2, static_cast<std::int64_t>(lookup.issuer.has_value())).Bind(3, lookup.issuer.value_or(""));
  std::vector<domain::Patient> out;
  while (true) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    domain::Patient& p = out.emplace_back();
    int i = 0;
    for (std::string* v : {&p.identity.id, &p.identity.issuer, &p.name, &p.birth_date, &p.sex}) *v = stmt->Text(i++);
  }
}

}  // namespace systole::adapters
