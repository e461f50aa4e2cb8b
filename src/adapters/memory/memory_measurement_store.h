// MemoryMeasurementStore: an in-memory fake of ports::MeasurementStore for
// unit tests; passes the same contract suite as the SQLite adapter.
#pragma once

#include <mutex>
#include <utility>
#include <vector>

#include "ports/measurement_store.h"

namespace systole::adapters {

class MemoryMeasurementStore final : public ports::MeasurementStore {
 public:
  Status ReplaceMeasurements(const std::string& sr_sop_instance_uid,
                             const std::vector<domain::Measurement>& measurements) override;
  Result<std::vector<domain::Measurement>> StudyMeasurements(const std::string& study_instance_uid) override;

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::vector<domain::Measurement>>> by_sr_;  // in write order
};

}  // namespace systole::adapters
