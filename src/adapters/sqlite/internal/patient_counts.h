// Keeps a patient row's derived counts (NumberOfPatientRelated*) right after
// studies move between patients (merge, refiling).
#pragma once

#include <cstdint>

#include "adapters/sqlite/internal/connection.h"

namespace systole::adapters::sqlite {

Status RecountPatient(Connection& c, std::int64_t patient_pk);

}  // namespace systole::adapters::sqlite
