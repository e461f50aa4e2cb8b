// Patient height and weight as a stored object's header gives them:
// PatientSize (0010,1020, DS, metres) and PatientWeight (0010,1030, DS, kg).
#pragma once

#include <filesystem>
#include <optional>

namespace systole::dicom {

struct PatientSizeWeight {
  std::optional<double> size_m;     // absent, empty, non-numeric or non-positive → nullopt
  std::optional<double> weight_kg;
};

// Reads the two attributes of the Part 10 file at `path` (large values are
// not loaded). Both nullopt when the file cannot be read.
PatientSizeWeight ReadPatientSizeWeight(const std::filesystem::path& path);

}  // namespace systole::dicom
