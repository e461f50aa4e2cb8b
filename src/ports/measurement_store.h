// MeasurementStore: the numeric measurements read from stored SR objects,
// keyed by the SR's SOP Instance UID (one SR object → its measurements).
//
// Ingest calls ReplaceMeasurements when an SR is stored or replaced (an empty
// list when it holds none, or when the instance is deleted); the measurements
// service reads a study's measurements. Implementations: SQLite (the index
// database), in memory (tests). Thread-safe; both pass the contract suite in
// src/adapters/measurement_store_contract_test.h.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "domain/measurement.h"

namespace systole::ports {

class MeasurementStore {
 public:
  virtual ~MeasurementStore() = default;

  // Replaces, in one transaction, every measurement of the SR object
  // `sr_sop_instance_uid` by `measurements` (each must name that SR; their
  // order is kept). An empty list removes them. kInvalidArgument when a
  // measurement names another SR (nothing written); kUnavailable on storage errors.
  virtual Status ReplaceMeasurements(const std::string& sr_sop_instance_uid,
                                     const std::vector<domain::Measurement>& measurements) = 0;

  // Every measurement of the study, ordered by SR object (in the order their
  // measurements were last written) then by position in the document. Empty
  // when there are none.
  virtual Result<std::vector<domain::Measurement>> StudyMeasurements(const std::string& study_instance_uid) = 0;
};

}  // namespace systole::ports
