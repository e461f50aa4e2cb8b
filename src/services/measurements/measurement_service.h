// MeasurementService: a study's measurements as the report and the API need
// them — one entry per measured quantity after de-duplication.
//
// SRs write the same quantity several times (per beat, then a mean; by old
// SRT and new SCT codes; in mm and in cm). Entries of one SR object that share
// the canonical concept and the modifiers that change what was measured
// (finding site, laterality, image mode, cardiac phase, method, flow
// direction, stage) are folded into one: the value with a Selection Status
// wins, else the one derived as a Mean, else the last written; the others are
// kept as its samples. Thread-safe (the ports are).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "domain/measurement.h"
#include "ports/measurement_store.h"
#include "ports/study_index.h"

namespace systole::services {

struct FoldedMeasurement {
  domain::Measurement chosen;
  std::vector<domain::Measurement> samples;  // the other raw values folded into it, in document order
};

// Folds `raw` (one study's measurements, as the store returns them) as
// described above; entries keep the order of their first raw value.
std::vector<FoldedMeasurement> FoldMeasurements(const std::vector<domain::Measurement>& raw);

class MeasurementService {
 public:
  MeasurementService(ports::MeasurementStore& store, ports::StudyQuery& studies) : store_(store), studies_(studies) {}

  // The folded measurements of a study (empty when it has none). kNotFound
  // when no such study is stored; kUnavailable on storage errors.
  Result<std::vector<FoldedMeasurement>> StudyMeasurements(const std::string& study_instance_uid);

 private:
  ports::MeasurementStore& store_;
  ports::StudyQuery& studies_;
};

}  // namespace systole::services
