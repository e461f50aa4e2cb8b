#include "adapters/memory/memory_measurement_store.h"

#include <algorithm>

namespace systole::adapters {

Status MemoryMeasurementStore::ReplaceMeasurements(const std::string& sr_sop_instance_uid,
                                                   const std::vector<domain::Measurement>& measurements) {
  for (const auto& m : measurements)
    if (m.sr_sop_instance_uid != sr_sop_instance_uid)
      return Fail(ErrorCode::kInvalidArgument,
                  "measurement of SR " + m.sr_sop_instance_uid + " given for SR " + sr_sop_instance_uid);
  std::lock_guard lock(mutex_);
  std::erase_if(by_sr_, [&](const auto& entry) { return entry.first == sr_sop_instance_uid; });
  if (!measurements.empty()) by_sr_.emplace_back(sr_sop_instance_uid, measurements);
  return {};
}

Result<std::vector<domain::Measurement>> MemoryMeasurementStore::StudyMeasurements(
    const std::string& study_instance_uid) {
  std::lock_guard lock(mutex_);
  std::vector<domain::Measurement> out;
  for (const auto& [sr, measurements] : by_sr_)
    for (const auto& m : measurements)
      if (m.study_instance_uid == study_instance_uid) out.push_back(m);
  return out;
}

}  // namespace systole::adapters
