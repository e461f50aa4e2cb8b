// Index records for tests: a patient/study/series/instance with plausible values.
#pragma once

#include <string>

#include "domain/instance.h"

namespace systole::adapters::contract {

using domain::Attribute;

inline domain::InstanceRecord MakeRecord(const std::string& patient, const std::string& study,
                                         const std::string& series, const std::string& sop,
                                         const std::string& modality = "US") {
  domain::InstanceRecord r;
  r.Set(Attribute::PatientID, patient);
  r.Set(Attribute::PatientName, "DOE^" + patient);
  r.Set(Attribute::PatientBirthDate, "19600101");
  r.Set(Attribute::StudyInstanceUID, study);
  r.Set(Attribute::StudyDate, "20240115");
  r.Set(Attribute::AccessionNumber, "ACC" + study.substr(study.size() - 1));
  r.Set(Attribute::SeriesInstanceUID, series);
  r.Set(Attribute::Modality, modality);
  r.Set(Attribute::SeriesNumber, series.substr(series.size() - 1));
  r.Set(Attribute::SOPInstanceUID, sop);
  r.Set(Attribute::SOPClassUID, modality == "SR" ? "1.2.840.10008.5.1.4.1.1.88.33" : "1.2.840.10008.5.1.4.1.1.3.1");
  r.Set(Attribute::InstanceNumber, sop.substr(sop.size() - 1));
  r.Set(Attribute::TransferSyntaxUID, "1.2.840.10008.1.2.1");
  r.blob = {"key-" + sop, 100, "hash-" + sop};
  return r;
}

}  // namespace systole::adapters::contract
