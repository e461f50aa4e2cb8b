#include "adapters/sqlite/internal/patient_counts.h"

namespace systole::adapters::sqlite {

Status RecountPatient(Connection& c, std::int64_t pk) {
  auto stmt = c.Prepare(
      "UPDATE patients SET "
      "NumberOfPatientRelatedStudies = (SELECT COUNT(*) FROM studies WHERE patient_pk = ?1), "
      "NumberOfPatientRelatedSeries = (SELECT COUNT(*) FROM series r JOIN studies s ON r.study_pk = s.pk "
      "WHERE s.patient_pk = ?1), "
      "NumberOfPatientRelatedInstances = (SELECT COALESCE(SUM(NumberOfStudyRelatedInstances), 0) FROM studies "
      "WHERE patient_pk = ?1) WHERE pk = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, pk);
  return stmt->Run();
}

}  // namespace systole::adapters::sqlite
