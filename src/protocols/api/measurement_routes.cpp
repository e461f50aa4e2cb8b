#include <nlohmann/json.hpp>

#include "protocols/api/api_errors.h"
#include "protocols/api/api_routes.h"

namespace systole::api {
namespace {

using nlohmann::json;

json CodeJson(const domain::Code& code) {
  return {{"code", code.value}, {"scheme", code.scheme}, {"meaning", code.meaning}};
}

json CodeJson(const std::optional<domain::Code>& code) { return code ? CodeJson(*code) : json(nullptr); }

json ImageJson(const std::optional<domain::ImageReference>& image) {
  if (!image) return nullptr;
  json frames = json::array();
  std::size_t start = 0;
  while (start < image->frames.size()) {
    auto end = image->frames.find('\\', start);
    if (end == std::string::npos) end = image->frames.size();
    frames.push_back(std::stoi(image->frames.substr(start, end - start)));
    start = end + 1;
  }
  return {{"sopClassUID", image->sop_class_uid}, {"sopInstanceUID", image->sop_instance_uid}, {"frames", frames}};
}

// The value-level fields, shared by an entry and its samples.
json ValueJson(const domain::Measurement& m) {
  return {
      {"value", m.value ? json(*m.value) : json(nullptr)},
      {"qualifier", CodeJson(m.qualifier)},
      {"unit", m.value ? json(m.unit.value) : json(nullptr)},
      {"canonicalValue", m.canonical_value ? json(*m.canonical_value) : json(nullptr)},
      {"canonicalUnit", m.canonical_value ? json(m.canonical_unit) : json(nullptr)},
      {"derivation", CodeJson(m.derivation)},
      {"selectionStatus", CodeJson(m.selection_status)},
      {"imageView", CodeJson(m.image_view)},
      {"imageReference", ImageJson(m.image)},
      {"conceptAsWritten", CodeJson(m.concept_name)},
      {"ordinal", m.ordinal},
  };
}

json EntryJson(const services::FoldedMeasurement& folded) {
  const domain::Measurement& m = folded.chosen;
  json entry = ValueJson(m);
  domain::Code concept_name = m.canonical_concept;
  if (concept_name.meaning.empty()) concept_name.meaning = m.concept_name.meaning;
  entry["concept"] = CodeJson(concept_name);
  entry["findingSite"] = CodeJson(m.finding_site);
  entry["laterality"] = CodeJson(m.laterality);
  entry["imageMode"] = CodeJson(m.image_mode);
  entry["cardiacPhase"] = CodeJson(m.cardiac_phase);
  entry["method"] = CodeJson(m.method);
  entry["flowDirection"] = CodeJson(m.flow_direction);
  entry["stage"] = CodeJson(m.stage);
  entry["source"] = domain::SourceName(m.source);
  entry["observer"] = m.observer;
  entry["manufacturer"] = m.manufacturer;
  entry["sopInstanceUID"] = m.sr_sop_instance_uid;
  entry["sopClassUID"] = m.sr_sop_class_uid;
  entry["seriesInstanceUID"] = m.series_instance_uid;
  json samples = json::array();
  for (const auto& sample : folded.samples) samples.push_back(ValueJson(sample));
  entry["samples"] = std::move(samples);
  return entry;
}

}  // namespace

void AddRoutes(http::Router& router, const Services& services) {
  router.Add(
      {"GET", "/api/studies/{StudyInstanceUID}/measurements", "Measurements of a study, read from its SR objects",
       "Answers {\"measurements\": [...]}: one entry per measured quantity after de-duplication (values written per "
       "beat plus a mean, old SNOMED-RT and SNOMED CT codes of one concept, mm/cm etc. fold into one entry of one SR "
       "object; the value with a Selection Status wins, else the Mean, else the last written; the others are listed "
       "in `samples`). Each entry: `concept` {code, scheme, meaning} (SNOMED CT for SNOMED-RT codes; "
       "`conceptAsWritten` keeps the original), `value` (decimal string as the SR holds it, or null with a "
       "`qualifier` code), `unit` (UCUM code as written), `canonicalValue`/`canonicalUnit` (cm, cm/s, mL, ms, "
       "mm[Hg], L/min, cm2), `findingSite`, `laterality`, `imageMode`, `imageView`, `cardiacPhase`, `method`, "
       "`flowDirection`, `stage`, `derivation`, `selectionStatus` (code objects or null, after inheritance from "
       "enclosing containers), `imageReference` {sopClassUID, sopInstanceUID, frames} or null, `source` (device, "
       "reader or ai), `observer`, `manufacturer`, `sopInstanceUID`/`sopClassUID`/`seriesInstanceUID` of the SR "
       "object, `samples`. 400 for a malformed UID, 404 when the study is not stored."},
      // The service outlives the router; `services` itself may be a temporary.
      [&measurements = services.measurements](const http::HttpRequest& request) {
        auto folded = measurements.StudyMeasurements(request.PathParam("StudyInstanceUID"));
        if (!folded) return ErrorResponse(folded.error());
        json list = json::array();
        for (const auto& entry : *folded) list.push_back(EntryJson(entry));
        return http::HttpResponse::Json(200, json{{"measurements", std::move(list)}}.dump());
      });
}

}  // namespace systole::api
