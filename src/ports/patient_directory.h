// PatientDirectory: read side of the patients Systole knows — from ADT, orders
// and stored DICOM files alike — for FHIR Patient and the EHR launch.
// Merged-away patients are never listed (their studies moved to the survivor).
// SQLite and the in-memory fake implement it; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/identity.h"

namespace systole::ports {

struct PatientLookup {
  std::string id;                     // exact PatientID; empty = every patient
  std::optional<std::string> issuer;  // exact IssuerOfPatientID ("" = none); nullopt = any issuer
};

class PatientDirectory {
 public:
  virtual ~PatientDirectory() = default;
  // Current (not merged) patients matching `lookup`, ordered by ID then issuer,
  // with their current demographics. kUnavailable on storage errors.
  virtual Result<std::vector<domain::Patient>> FindPatients(const PatientLookup& lookup) = 0;
};

}  // namespace systole::ports
