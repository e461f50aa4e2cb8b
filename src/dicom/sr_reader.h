// Reading DICOM Structured Reports: the content tree as plain data, and the
// numeric measurements in it.
//
//   auto doc = dicom::ReadSrFile(path);              // any SR storage SOP class
//   auto measurements = dicom::ExtractMeasurements(*doc);
//
// ReadSrFile parses with DCMTK's dcmsr leniently (unknown relationships,
// invalid items skipped) because carts are messy; text is UTF-8. It fails with
// kInvalidArgument when the file is not a readable SR document. No DCMTK type
// appears here. Thread-safe (no shared state).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "domain/measurement.h"

namespace systole::dicom {

struct SrContentItem {
  std::string relationship;               // "CONTAINS", "HAS CONCEPT MOD", "HAS OBS CONTEXT", ... (empty at the root)
  std::string value_type;                 // "CONTAINER", "NUM", "CODE", "TEXT", "IMAGE", "UIDREF", "PNAME", ...
  domain::Code concept_name;              // Concept Name (may be empty, e.g. an unnamed container)
  std::string text;                       // TEXT, UIDREF, PNAME, DATE, TIME, DATETIME values
  domain::Code code;                      // CODE value
  std::optional<std::string> numeric;     // NUM: the decimal string; nullopt when there is none
  domain::Code unit;                      // NUM: Measurement Units
  std::optional<domain::Code> qualifier;  // NUM: Numeric Value Qualifier
  std::optional<domain::ImageReference> image;  // IMAGE (and COMPOSITE) references
  std::vector<SrContentItem> children;          // by-value children; by-reference relationships are not followed
};

struct SrDocument {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string manufacturer;
  std::string template_id;  // root Content Template (e.g. "5200"), when given
  SrContentItem root;
};

// True for the SR storage SOP classes (Basic Text, Enhanced, Comprehensive,
// Comprehensive 3D, Extensible, and the SR-based CAD/dose/procedure log/
// acquisition context/simplified adult echo/patient radiation dose classes).
bool IsSrStorageClass(std::string_view sop_class_uid);

// Reads an SR document from a Part 10 file (or bare dataset).
Result<SrDocument> ReadSrFile(const std::filesystem::path& path);

// Every NUM content item of `document`, in document order, with modifiers
// (finding site, laterality, image mode/view, cardiac phase, flow direction,
// method, stage) inherited from enclosing containers unless the NUM carries
// its own, derivation and selection status, the source image, and the source
// (device / reader / ai) from the observation context. NUMs without a value
// are kept (value nullopt, qualifier set); private codes are kept as they are.
std::vector<domain::Measurement> ExtractMeasurements(const SrDocument& document);

}  // namespace systole::dicom
