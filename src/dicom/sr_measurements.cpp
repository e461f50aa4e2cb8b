// ExtractMeasurements (declared in sr_reader.h): walks the plain SR tree and
// turns every NUM into a domain::Measurement with inherited modifiers.
#include <utility>

#include "dicom/sr_reader.h"

namespace systole::dicom {
namespace {

using domain::Code;

// Modifier concept_name names, compared after domain::CanonicalCode (so the SRT
// forms G-C0E3, G-0373, R-40899, R-4089A, G-C036, G-C171 match too).
// PS3.17 Annex N.2; TID 300 (Derivation, Selection Status); TID 5202 row 7 (Stage).
const Code kFindingSite{"363698007", "SCT", ""};
const Code kLaterality{"272741003", "SCT", ""};
const Code kImageMode{"399264008", "SCT", ""};
const Code kImageView{"111031", "DCM", ""};
const Code kCardiacPhase{"272518008", "SCT", ""};
const Code kFlowDirection{"260674002", "SCT", ""};
const Code kMethod{"370129005", "SCT", ""};
const Code kStage{"18139-6", "LN", ""};
const Code kDerivation{"121401", "DCM", ""};
const Code kSelectionStatus{"121404", "DCM", ""};
// TID 1002 Observer Context, TID 4019 Algorithm Identification.
const Code kObserverType{"121005", "DCM", ""};
const Code kDevice{"121007", "DCM", ""};
const Code kPerson{"121006", "DCM", ""};
const Code kPersonObserverName{"121008", "DCM", ""};
const Code kDeviceObserverName{"121013", "DCM", ""};
const Code kAlgorithmName{"111001", "DCM", ""};

// What an item passes down to its descendants.
struct Context {
  std::optional<Code> finding_site, laterality, image_mode, image_view, cardiac_phase, flow_direction, method, stage;
  bool device = false, person = false, algorithm = false;
  std::string device_name, person_name, algorithm_name;
};

bool IsModifier(const SrContentItem& item) {
  return item.relationship == "HAS CONCEPT MOD" || item.relationship == "HAS ACQ CONTEXT" ||
         item.relationship == "HAS OBS CONTEXT" || item.relationship == "HAS PROPERTIES";
}

// Applies the modifiers among `item`'s children to `context`. `derivation`
// and `selection` (not inherited) receive the item's own, when asked.
void ApplyModifiers(const SrContentItem& item, Context& context, std::optional<Code>* derivation = nullptr,
                    std::optional<Code>* selection = nullptr) {
  bool observer_reset = false;
  for (const auto& child : item.children) {
    if (!IsModifier(child)) continue;
    const Code name = domain::CanonicalCode(child.concept_name);
    const Code value = domain::CanonicalCode(child.code);
    if (child.value_type == "CODE") {
      if (name == kFindingSite)
        context.finding_site = value;
      else if (name == kLaterality)
        context.laterality = value;
      else if (name == kImageMode)
        context.image_mode = value;
      else if (name == kImageView)
        context.image_view = value;
      else if (name == kCardiacPhase)
        context.cardiac_phase = value;
      else if (name == kFlowDirection)
        context.flow_direction = value;
      else if (name == kMethod)
        context.method = value;
      else if (name == kStage)
        context.stage = value;
      else if (name == kDerivation && derivation)
        *derivation = value;
      else if (name == kSelectionStatus && selection)
        *selection = value;
      else if (name == kObserverType) {
        // A new observation context at this level replaces the inherited observers.
        if (!observer_reset) {
          context.device = context.person = context.algorithm = false;
          context.device_name.clear();
          context.person_name.clear();
          context.algorithm_name.clear();
          observer_reset = true;
        }
        if (value == kDevice) context.device = true;
        if (value == kPerson) context.person = true;
      }
    } else if (name == kDeviceObserverName) {
      context.device_name = child.text;
    } else if (name == kPersonObserverName) {
      context.person_name = child.text;
    } else if (name == kAlgorithmName) {
      context.algorithm = true;
      context.algorithm_name = child.text;
    } else if (name == kStage && child.value_type == "TEXT") {
      context.stage = Code{child.text, "", child.text};
    }
  }
}

std::optional<domain::ImageReference> FindImage(const SrContentItem& num) {
  for (const auto& child : num.children) {
    if (child.image && child.value_type == "IMAGE") return child.image;
    for (const auto& grandchild : child.children)  // SCOORD > SELECTED FROM IMAGE
      if (child.value_type == "SCOORD" && grandchild.image) return grandchild.image;
  }
  return std::nullopt;
}

class Extractor {
 public:
  explicit Extractor(const SrDocument& document) : document_(document) {}

  void Walk(const SrContentItem& item, const Context& inherited, int depth) {
    if (depth > 64) return;
    Context context = inherited;
    std::optional<Code> derivation, selection;
    ApplyModifiers(item, context, &derivation, &selection);
    if (item.value_type == "NUM") Add(item, context, std::move(derivation), std::move(selection));
    for (const auto& child : item.children)
      if (child.value_type == "CONTAINER" || child.value_type == "NUM") Walk(child, context, depth + 1);
  }

  std::vector<domain::Measurement> Take() { return std::move(out_); }

 private:
  void Add(const SrContentItem& item, const Context& context, std::optional<Code> derivation,
           std::optional<Code> selection) {
    domain::Measurement m;
    m.sr_sop_instance_uid = document_.sop_instance_uid;
    m.sr_sop_class_uid = document_.sop_class_uid;
    m.study_instance_uid = document_.study_instance_uid;
    m.series_instance_uid = document_.series_instance_uid;
    m.ordinal = static_cast<int>(out_.size());
    m.concept_name = item.concept_name;
    m.canonical_concept = domain::CanonicalCode(item.concept_name);
    m.value = item.numeric;
    m.qualifier = item.qualifier;
    if (item.numeric) {
      m.unit = item.unit;
      if (auto canonical = domain::CanonicalQuantity(*item.numeric, item.unit.value)) {
        m.canonical_value = std::move(canonical->value);
        m.canonical_unit = std::move(canonical->unit);
      }
    }
    m.derivation = std::move(derivation);
    m.selection_status = std::move(selection);
    m.finding_site = context.finding_site;
    m.laterality = context.laterality;
    m.image_mode = context.image_mode;
    m.image_view = context.image_view;
    m.cardiac_phase = context.cardiac_phase;
    m.flow_direction = context.flow_direction;
    m.method = context.method;
    m.stage = context.stage;
    m.image = FindImage(item);
    if (context.algorithm) {
      m.source = domain::MeasurementSource::kAi;
      m.observer = context.algorithm_name;
    } else if (context.device || !context.person) {
      // A cart names itself as Device observer (and often its sonographer as
      // Person too): measured on the device. Without any observer: a device.
      m.source = domain::MeasurementSource::kDevice;
      m.observer = context.device_name;
    } else {
      m.source = domain::MeasurementSource::kReader;
      m.observer = context.person_name;
    }
    m.manufacturer = document_.manufacturer;
    out_.push_back(std::move(m));
  }

  const SrDocument& document_;
  std::vector<domain::Measurement> out_;
};

}  // namespace

std::vector<domain::Measurement> ExtractMeasurements(const SrDocument& document) {
  Extractor extractor(document);
  extractor.Walk(document.root, Context{}, 0);
  return extractor.Take();
}

}  // namespace systole::dicom
