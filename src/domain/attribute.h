// The attributes Systole indexes and queries, at the four levels of the DICOM
// information model (PATIENT, STUDY, SERIES, IMAGE).
//
// Attribute is the one list shared by ingest (what is extracted from a file),
// the index (what is stored per level), and query (what may be matched and
// returned by C-FIND and QIDO-RS). Descriptions come from AttributeInfo();
// protocol adapters map tags to Attribute with FindAttributeByTag().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace systole::domain {

enum class Level { kPatient = 0, kStudy = 1, kSeries = 2, kInstance = 3 };

const char* LevelName(Level level);  // "PATIENT", "STUDY", "SERIES", "IMAGE"

enum class Attribute : std::uint8_t {
  // PATIENT
  PatientID, IssuerOfPatientID, PatientName, PatientBirthDate, PatientSex,
  NumberOfPatientRelatedStudies, NumberOfPatientRelatedSeries, NumberOfPatientRelatedInstances,
  // STUDY
  StudyInstanceUID, StudyDate, StudyTime, AccessionNumber, StudyDescription,
  ReferringPhysicianName, StudyID, ModalitiesInStudy, SOPClassesInStudy,
  NumberOfStudyRelatedSeries, NumberOfStudyRelatedInstances,
  // SERIES
  SeriesInstanceUID, Modality, SeriesNumber, SeriesDescription, SeriesDate, SeriesTime,
  BodyPartExamined, Manufacturer, InstitutionName, NumberOfSeriesRelatedInstances,
  // IMAGE
  SOPInstanceUID, SOPClassUID, InstanceNumber, NumberOfFrames, TransferSyntaxUID,
  Rows, Columns, FrameTime, ContentDate, ContentTime,
  kCount
};

inline constexpr std::size_t kAttributeCount = static_cast<std::size_t>(Attribute::kCount);

// How values of an attribute are matched (PS3.4 C.2.2.2).
enum class ValueKind {
  kText,      // LO, SH, CS, ...: single value and wildcard matching
  kPersonName,// PN: like kText, case-insensitive
  kUid,       // UI: single value and UID-list matching, no wildcards
  kDate,      // DA: single value and range matching
  kTime,      // TM: single value and range matching
  kCount,     // derived counts (IS): returned, single value matching
  kMultiText, // multi-valued derived text (ModalitiesInStudy): matches if any value matches
};

struct AttributeInfo {
  Attribute attribute;
  std::string_view keyword;  // DICOM keyword, e.g. "StudyInstanceUID"
  std::uint32_t tag;         // (group << 16) | element
  std::string_view vr;       // two-letter VR
  Level level;               // the level whose record holds the value
  ValueKind kind;
  bool derived;              // computed by the index (counts, ModalitiesInStudy), not read from files
};

const AttributeInfo& Info(Attribute attribute);
std::span<const AttributeInfo> AllAttributes();
std::optional<Attribute> FindAttributeByTag(std::uint32_t tag);
std::optional<Attribute> FindAttributeByKeyword(std::string_view keyword);

constexpr std::uint32_t Tag(std::uint16_t group, std::uint16_t element) {
  return (static_cast<std::uint32_t>(group) << 16) | element;
}

}  // namespace systole::domain
