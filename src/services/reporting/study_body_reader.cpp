#include "services/reporting/study_body_reader.h"

#include "dicom/patient_body.h"

namespace systole::services {

PatientBodyReader MakeStudyBodyReader(ports::StudyQuery& studies, ports::BlobStore& blobs) {
  return [&studies, &blobs](const std::string& study_instance_uid) -> PatientBody {
    domain::Query query;
    query.level = domain::Level::kStudy;
    auto matcher = domain::ParseMatcher(domain::Attribute::StudyInstanceUID, study_instance_uid);
    if (!matcher) return {};
    query.conditions.push_back({domain::Attribute::StudyInstanceUID, *matcher});
    auto instances = studies.Locate(query);
    if (!instances) return {};
    PatientBody body;
    for (const auto& instance : *instances) {
      auto path = blobs.ReadPath(instance.blob.key);
      if (!path) continue;
      auto read = dicom::ReadPatientSizeWeight(*path);
      if (!read.size_m && !read.weight_kg) continue;
      body.height_m = read.size_m;
      body.weight_kg = read.weight_kg;
      body.sop_instance_uid = instance.sop_instance_uid;
      if (body.height_m && body.weight_kg) break;
    }
    return body;
  };
}

}  // namespace systole::services
