#include "dicom/patient_body.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <cmath>

namespace systole::dicom {
namespace {

std::optional<double> PositiveDecimal(DcmDataset& dataset, const DcmTagKey& tag) {
  Float64 value = 0;
  if (dataset.findAndGetFloat64(tag, value).bad() || !std::isfinite(value) || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

PatientSizeWeight ReadPatientSizeWeight(const std::filesystem::path& path) {
  DcmFileFormat file;
  if (file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect).bad()) return {};
  DcmDataset& dataset = *file.getDataset();
  return {PositiveDecimal(dataset, DCM_PatientSize), PositiveDecimal(dataset, DCM_PatientWeight)};
}

}  // namespace systole::dicom
