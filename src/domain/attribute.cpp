#include "domain/attribute.h"

#include <array>

namespace systole::domain {
namespace {

using enum Attribute;
using K = ValueKind;
using L = Level;

constexpr std::array<AttributeInfo, kAttributeCount> kAttributes{{
    {PatientID, "PatientID", Tag(0x0010, 0x0020), "LO", L::kPatient, K::kText, false},
    {IssuerOfPatientID, "IssuerOfPatientID", Tag(0x0010, 0x0021), "LO", L::kPatient, K::kText, false},
    {PatientName, "PatientName", Tag(0x0010, 0x0010), "PN", L::kPatient, K::kPersonName, false},
    {PatientBirthDate, "PatientBirthDate", Tag(0x0010, 0x0030), "DA", L::kPatient, K::kDate, false},
    {PatientSex, "PatientSex", Tag(0x0010, 0x0040), "CS", L::kPatient, K::kText, false},
    {NumberOfPatientRelatedStudies, "NumberOfPatientRelatedStudies", Tag(0x0020, 0x1200), "IS", L::kPatient, K::kCount, true},
    {NumberOfPatientRelatedSeries, "NumberOfPatientRelatedSeries", Tag(0x0020, 0x1202), "IS", L::kPatient, K::kCount, true},
    {NumberOfPatientRelatedInstances, "NumberOfPatientRelatedInstances", Tag(0x0020, 0x1204), "IS", L::kPatient, K::kCount, true},
    {StudyInstanceUID, "StudyInstanceUID", Tag(0x0020, 0x000D), "UI", L::kStudy, K::kUid, false},
    {StudyDate, "StudyDate", Tag(0x0008, 0x0020), "DA", L::kStudy, K::kDate, false},
    {StudyTime, "StudyTime", Tag(0x0008, 0x0030), "TM", L::kStudy, K::kTime, false},
    {AccessionNumber, "AccessionNumber", Tag(0x0008, 0x0050), "SH", L::kStudy, K::kText, false},
    {StudyDescription, "StudyDescription", Tag(0x0008, 0x1030), "LO", L::kStudy, K::kText, false},
    {ReferringPhysicianName, "ReferringPhysicianName", Tag(0x0008, 0x0090), "PN", L::kStudy, K::kPersonName, false},
    {StudyID, "StudyID", Tag(0x0020, 0x0010), "SH", L::kStudy, K::kText, false},
    {ModalitiesInStudy, "ModalitiesInStudy", Tag(0x0008, 0x0061), "CS", L::kStudy, K::kMultiText, true},
    {SOPClassesInStudy, "SOPClassesInStudy", Tag(0x0008, 0x0062), "UI", L::kStudy, K::kMultiText, true},
    {NumberOfStudyRelatedSeries, "NumberOfStudyRelatedSeries", Tag(0x0020, 0x1206), "IS", L::kStudy, K::kCount, true},
    {NumberOfStudyRelatedInstances, "NumberOfStudyRelatedInstances", Tag(0x0020, 0x1208), "IS", L::kStudy, K::kCount, true},
    {SeriesInstanceUID, "SeriesInstanceUID", Tag(0x0020, 0x000E), "UI", L::kSeries, K::kUid, false},
    {Modality, "Modality", Tag(0x0008, 0x0060), "CS", L::kSeries, K::kText, false},
    {SeriesNumber, "SeriesNumber", Tag(0x0020, 0x0011), "IS", L::kSeries, K::kText, false},
    {SeriesDescription, "SeriesDescription", Tag(0x0008, 0x103E), "LO", L::kSeries, K::kText, false},
    {SeriesDate, "SeriesDate", Tag(0x0008, 0x0021), "DA", L::kSeries, K::kDate, false},
    {SeriesTime, "SeriesTime", Tag(0x0008, 0x0031), "TM", L::kSeries, K::kTime, false},
    {BodyPartExamined, "BodyPartExamined", Tag(0x0018, 0x0015), "CS", L::kSeries, K::kText, false},
    {Manufacturer, "Manufacturer", Tag(0x0008, 0x0070), "LO", L::kSeries, K::kText, false},
    {InstitutionName, "InstitutionName", Tag(0x0008, 0x0080), "LO", L::kSeries, K::kText, false},
    {NumberOfSeriesRelatedInstances, "NumberOfSeriesRelatedInstances", Tag(0x0020, 0x1209), "IS", L::kSeries, K::kCount, true},
    {SOPInstanceUID, "SOPInstanceUID", Tag(0x0008, 0x0018), "UI", L::kInstance, K::kUid, false},
    {SOPClassUID, "SOPClassUID", Tag(0x0008, 0x0016), "UI", L::kInstance, K::kUid, false},
    {InstanceNumber, "InstanceNumber", Tag(0x0020, 0x0013), "IS", L::kInstance, K::kText, false},
    {NumberOfFrames, "NumberOfFrames", Tag(0x0028, 0x0008), "IS", L::kInstance, K::kText, false},
    {TransferSyntaxUID, "TransferSyntaxUID", Tag(0x0002, 0x0010), "UI", L::kInstance, K::kUid, false},
    {Rows, "Rows", Tag(0x0028, 0x0010), "US", L::kInstance, K::kText, false},
    {Columns, "Columns", Tag(0x0028, 0x0011), "US", L::kInstance, K::kText, false},
    {FrameTime, "FrameTime", Tag(0x0018, 0x1063), "DS", L::kInstance, K::kText, false},
    {ContentDate, "ContentDate", Tag(0x0008, 0x0023), "DA", L::kInstance, K::kDate, false},
    {ContentTime, "ContentTime", Tag(0x0008, 0x0033), "TM", L::kInstance, K::kTime, false},
}};

constexpr bool OrderedByEnum() {
  for (std::size_t i = 0; i < kAttributes.size(); ++i)
    if (static_cast<std::size_t>(kAttributes[i].attribute) != i) return false;
  return true;
}
static_assert(OrderedByEnum(), "kAttributes must list attributes in enum order");

}  // namespace

const char* LevelName(Level level) {
  switch (level) {
    case Level::kPatient: return "PATIENT";
    case Level::kStudy: return "STUDY";
    case Level::kSeries: return "SERIES";
    case Level::kInstance: return "IMAGE";
  }
  return "?";
}

const AttributeInfo& Info(Attribute attribute) { return kAttributes[static_cast<std::size_t>(attribute)]; }

std::span<const AttributeInfo> AllAttributes() { return kAttributes; }

std::optional<Attribute> FindAttributeByTag(std::uint32_t tag) {
  for (const auto& info : kAttributes)
    if (info.tag == tag) return info.attribute;
  return std::nullopt;
}

std::optional<Attribute> FindAttributeByKeyword(std::string_view keyword) {
  for (const auto& info : kAttributes)
    if (info.keyword == keyword) return info.attribute;
  return std::nullopt;
}

}  // namespace systole::domain
