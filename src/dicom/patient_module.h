// Serving the index's current patient module instead of the one a stored file
// carries (IHE PIR: after an ADT update, a merge or an admin correction). The
// stored file is never changed: these build what is sent, in memory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "domain/identity.h"

class DcmItem;

namespace systole::dicom {

// Sets PatientName, PatientID, IssuerOfPatientID, PatientBirthDate and
// PatientSex of `dataset` (UTF-8 values; a dataset in another character set is
// converted to UTF-8 first when a value needs it). Empty values are written empty.
Status ApplyPatient(DcmItem& dataset, const domain::Patient& patient);

// The DICOM JSON object of one instance (as WADO-RS metadata) with the patient
// module replaced. kInvalidArgument if `json` is not a JSON object.
Result<std::string> PatientCorrectedJson(std::string_view json, const domain::Patient& patient);

}  // namespace systole::dicom
