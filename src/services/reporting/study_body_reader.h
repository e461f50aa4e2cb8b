// The PatientBodyReader of a deployment: height and weight from the headers
// of a study's stored objects (the first object that has them), read through
// the index and blob store.
#pragma once

#include "ports/blob_store.h"
#include "ports/study_index.h"
#include "services/reporting/report_service.h"

namespace systole::services {

PatientBodyReader MakeStudyBodyReader(ports::StudyQuery& studies, ports::BlobStore& blobs);

}  // namespace systole::services
