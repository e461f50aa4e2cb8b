// Measurement: one numeric observation read from a DICOM SR (a NUM content
// item), with the modifiers that give it meaning after inheritance from its
// enclosing containers. No DCMTK, no SQL: the reader (dicom/sr_reader.h)
// produces these, ports::MeasurementStore keeps them, the API shows them.
//
// Codes are matched by (value, scheme), never by meaning. Old SNOMED-RT
// ("SRT") codes are mapped to SNOMED CT ("SCT") by CanonicalCode() so that a
// cart writing either lands on one concept. Quantities keep the decimal string
// and the UCUM unit as written; CanonicalQuantity() adds a normalised copy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace systole::domain {

struct Code {
  std::string value;    // Code Value (or Long Code Value / URN Code Value)
  std::string scheme;   // Coding Scheme Designator
  std::string meaning;  // Code Meaning, for display only

  bool empty() const { return value.empty(); }
  // Same concept: same value and scheme (meaning ignored).
  bool operator==(const Code& other) const { return value == other.value && scheme == other.scheme; }
};

// The SNOMED CT code for a SNOMED-RT code Systole knows (the finding sites,
// image modes, cardiac phases, flow directions, derivations and echo concepts
// used by PS3.16 TID 5200/5300); any other code unchanged. The meaning is kept.
Code CanonicalCode(const Code& code);

// Who produced a measurement.
enum class MeasurementSource {
  kDevice,  // measured on a modality (a cart), Device observer
  kReader,  // measured by a person (e.g. in Systole's viewer), Person observer only
  kAi,      // an algorithm (Algorithm Name in the observation context)
};
const char* SourceName(MeasurementSource source);  // "device", "reader", "ai"
std::optional<MeasurementSource> ParseSource(std::string_view name);

struct ImageReference {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string frames;  // referenced frame numbers, "\"-separated; empty for the whole image
};

struct Measurement {
  // The SR object it came from.
  std::string sr_sop_instance_uid;
  std::string sr_sop_class_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  int ordinal = 0;  // position among the document's measurements (0-based, document order)

  Code concept_name;                           // as written
  Code canonical_concept;                      // CanonicalCode(concept_name)
  std::optional<std::string> value;            // decimal string as written; nullopt when the SR holds none
  std::optional<Code> qualifier;               // Numeric Value Qualifier (e.g. 114006 "Measurement failure")
  Code unit;                                   // UCUM code as written (empty without a value)
  std::optional<std::string> canonical_value;  // value in canonical_unit (see CanonicalQuantity)
  std::string canonical_unit;

  // Modifiers after inheritance, SNOMED-RT mapped to SNOMED CT.
  std::optional<Code> derivation;        // (121401, DCM, "Derivation"), e.g. Mean
  std::optional<Code> selection_status;  // (121404, DCM, "Selection Status"): this value was chosen
  std::optional<Code> finding_site;
  std::optional<Code> laterality;
  std::optional<Code> cardiac_phase;  // Cardiac Cycle Point
  std::optional<Code> image_mode;
  std::optional<Code> image_view;
  std::optional<Code> method;  // Measurement Method
  std::optional<Code> flow_direction;
  std::optional<Code> stage;            // protocol stage (stress echo)
  std::optional<ImageReference> image;  // Source of Measurement / INFERRED FROM image

  MeasurementSource source = MeasurementSource::kDevice;
  std::string observer;      // Device Observer Name / Person Observer Name / Algorithm Name
  std::string manufacturer;  // the SR object's Manufacturer
};

struct Quantity {
  std::string value;  // decimal string
  std::string unit;   // UCUM
};

// `value` in `ucum` expressed in Systole's canonical unit for its dimension:
// lengths in cm, velocities in cm/s, volumes in mL, volume flow in L/min,
// times in ms, areas in cm2 (m2 kept: body surface area), pressures in mm[Hg],
// rates in /min; other units unchanged. nullopt when `value` is not a decimal.
std::optional<Quantity> CanonicalQuantity(std::string_view value, std::string_view ucum);

}  // namespace systole::domain
