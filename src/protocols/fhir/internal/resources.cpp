#include "protocols/fhir/internal/resources.h"

#include <charconv>
#include <regex>

#include "domain/attribute.h"
#include "protocols/fhir/internal/ids.h"

namespace systole::fhir {
namespace {

using domain::Attribute;

constexpr const char* kDicomCodes = "http://dicom.nema.org/resources/ontology/DCM";
constexpr const char* kUcum = "http://unitsofmeasure.org";
constexpr const char* kV2IdentifierType = "http://terminology.hl7.org/CodeSystem/v2-0203";

const std::string& V(const domain::QueryRow& row, Attribute a) { return row[static_cast<std::size_t>(a)]; }

std::optional<long long> Integer(std::string_view text) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> Decimal(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The `separator`-separated parts of `text`, padded with empty ones to at least `min_parts`.
std::vector<std::string> Split(std::string_view text, char separator, std::size_t min_parts = 0) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (parts.size() < min_parts) parts.resize(min_parts);
  return parts;
}

// DICOM PN "Family^Given^Middle^Prefix^Suffix" as a FHIR HumanName.
json HumanName(std::string_view pn) {
  const auto parts = Split(pn.substr(0, pn.find('=')), '^', 5);
  json name = json::object();
  if (!parts[0].empty()) name["family"] = parts[0];
  json given = json::array();
  for (int i : {1, 2})
    if (!parts[i].empty()) given.push_back(parts[i]);
  if (!given.empty()) name["given"] = given;
  if (!parts[3].empty()) name["prefix"] = json::array({parts[3]});
  if (!parts[4].empty()) name["suffix"] = json::array({parts[4]});
  std::string text;
  for (const auto& piece : {parts[3], parts[1], parts[2], parts[0], parts[4]})
    if (!piece.empty()) text += (text.empty() ? "" : " ") + piece;
  if (!text.empty()) name["text"] = text;
  return name;
}

std::string DisplayName(std::string_view pn) {
  json name = HumanName(pn);
  return name.contains("text") ? name["text"].get<std::string>() : std::string();
}

json PatientReference(const domain::Patient& patient) {
  json ref = {{"reference", "Patient/" + PatientLogicalId(patient.identity)}};
  if (auto display = DisplayName(patient.name); !display.empty()) ref["display"] = display;
  return ref;
}

json AccessionIdentifier(std::string_view accession) {
  return {{"type", {{"coding", json::array({{{"system", kV2IdentifierType}, {"code", "ACSN"}}})}}},
          {"value", accession}};
}

json Coding(const domain::Code& code) {
  json coding = {{"code", code.value}};
  if (auto system = CodeSystemOf(code.scheme); !system.empty()) coding["system"] = system;
  if (!code.meaning.empty()) coding["display"] = code.meaning;
  return coding;
}

// "code^meaning^scheme" (HL7 CE as the order carried it) as a CodeableConcept.
json ProcedureCode(std::string_view code, std::string_view description) {
  json codeable = json::object();
  const auto parts = Split(code, '^', 3);
  if (!parts[0].empty()) codeable["coding"] = json::array({Coding({parts[0], parts[2], parts[1]})});
  const std::string text = !description.empty() ? std::string(description) : parts[1];
  if (!text.empty()) codeable["text"] = text;
  if (codeable.empty()) codeable["text"] = "Imaging procedure";
  return codeable;
}

// FHIR dateTime of a DICOM DA (+ TM): the date only, as DICOM times carry no zone.
std::string FhirDateTime(std::string_view date) { return FhirDate(date); }

json Quantity(double value, std::string_view unit) {
  json q = {{"value", value}};
  if (!unit.empty()) {
    q["unit"] = unit;
    q["system"] = kUcum;
    q["code"] = unit;
  }
  return q;
}

// "52-72", "<50", "≤ 50", ">2" as a referenceRange entry; text for anything else.
json ReferenceRange(std::string_view range, std::string_view unit) {
  static const std::regex between(R"(^\s*(-?[0-9.]+)\s*-\s*(-?[0-9.]+)\s*$)");
  static const std::regex below(R"(^\s*(<|<=|≤)\s*(-?[0-9.]+)\s*$)");
  static const std::regex above(R"(^\s*(>|>=|≥)\s*(-?[0-9.]+)\s*$)");
  const std::string text(range);
  std::smatch m;
  json out = json::object();
  if (std::regex_match(text, m, between)) {
    auto low = Decimal(m[1].str()), high = Decimal(m[2].str());
    if (low) out["low"] = Quantity(*low, unit);
    if (high) out["high"] = Quantity(*high, unit);
  } else if (std::regex_match(text, m, below)) {
    if (auto high = Decimal(m[2].str())) out["high"] = Quantity(*high, unit);
  } else if (std::regex_match(text, m, above)) {
    if (auto low = Decimal(m[2].str())) out["low"] = Quantity(*low, unit);
  }
  out["text"] = text;
  return out;
}

}  // namespace

std::string FhirDate(std::string_view d) {
  if (d.size() != 8 || d.find_first_not_of("0123456789") != std::string_view::npos) return "";
  return std::string(d.substr(0, 4)) + "-" + std::string(d.substr(4, 2)) + "-" + std::string(d.substr(6, 2));
}

json PatientResource(const domain::Patient& patient) {
  json identifier = {{"use", "usual"}, {"value", patient.identity.id}};
  if (auto system = IssuerSystem(patient.identity.issuer); !system.empty()) identifier["system"] = system;
  json out = {{"resourceType", "Patient"},
              {"id", PatientLogicalId(patient.identity)},
              {"identifier", json::array({identifier})},
              {"active", true}};
  if (json name = HumanName(patient.name); !name.empty()) out["name"] = json::array({name});
  const std::string gender = patient.sex == "M"   ? "male"
                             : patient.sex == "F" ? "female"
                             : patient.sex == "O" ? "other"
                                                  : "unknown";
  out["gender"] = gender;
  if (auto birth = FhirDate(patient.birth_date); !birth.empty()) out["birthDate"] = birth;
  return out;
}

json ImagingStudyResource(const StudyRows& rows, std::string_view order_id) {
  const auto& s = rows.study;
  const std::string& uid = V(s, Attribute::StudyInstanceUID);
  json identifiers = json::array({{{"system", "urn:dicom:uid"}, {"value", "urn:oid:" + uid}}});
  if (!V(s, Attribute::AccessionNumber).empty()) identifiers.push_back(AccessionIdentifier(V(s, Attribute::AccessionNumber)));
  domain::Patient patient{{V(s, Attribute::PatientID), V(s, Attribute::IssuerOfPatientID)}, V(s, Attribute::PatientName), "", ""};
  json out = {{"resourceType", "ImagingStudy"},
              {"id", uid},
              {"identifier", identifiers},
              {"status", "available"},
              {"subject", PatientReference(patient)},
              {"endpoint", json::array({{{"reference", "Endpoint/" + std::string(kEndpointId)}}})}};
  json modalities = json::array();
  for (const auto& modality : Split(V(s, Attribute::ModalitiesInStudy), '\\'))
    if (!modality.empty()) modalities.push_back({{"system", kDicomCodes}, {"code", modality}});
  if (!modalities.empty()) out["modality"] = modalities;
  if (auto started = FhirDateTime(V(s, Attribute::StudyDate)); !started.empty()) out["started"] = started;
  if (!order_id.empty()) out["basedOn"] = json::array({{{"reference", "ServiceRequest/" + std::string(order_id)}}});
  if (auto referrer = DisplayName(V(s, Attribute::ReferringPhysicianName)); !referrer.empty())
    out["referrer"] = {{"display", referrer}};
  if (!V(s, Attribute::StudyDescription).empty()) out["description"] = V(s, Attribute::StudyDescription);
  if (auto n = Integer(V(s, Attribute::NumberOfStudyRelatedSeries))) out["numberOfSeries"] = *n;
  if (auto n = Integer(V(s, Attribute::NumberOfStudyRelatedInstances))) out["numberOfInstances"] = *n;
  json series = json::array();
  for (const auto& entry : rows.series) {
    const auto& r = entry.series;
    json one = {{"uid", V(r, Attribute::SeriesInstanceUID)},
                {"modality", {{"system", kDicomCodes}, {"code", V(r, Attribute::Modality).empty() ? "OT" : V(r, Attribute::Modality)}}}};
    if (auto n = Integer(V(r, Attribute::SeriesNumber)); n && *n >= 0) one["number"] = *n;
    if (!V(r, Attribute::SeriesDescription).empty()) one["description"] = V(r, Attribute::SeriesDescription);
    if (auto n = Integer(V(r, Attribute::NumberOfSeriesRelatedInstances))) one["numberOfInstances"] = *n;
    json instances = json::array();
    for (const auto& i : entry.instances) {
      json instance = {{"uid", V(i, Attribute::SOPInstanceUID)},
                       {"sopClass", {{"system", "urn:ietf:rfc:3986"}, {"code", "urn:oid:" + V(i, Attribute::SOPClassUID)}}}};
      if (auto n = Integer(V(i, Attribute::InstanceNumber)); n && *n >= 0) instance["number"] = *n;
      instances.push_back(std::move(instance));
    }
    if (!instances.empty()) one["instance"] = std::move(instances);
    series.push_back(std::move(one));
  }
  if (!series.empty()) out["series"] = std::move(series);
  return out;
}

std::string RequestStatus(std::string_view status) {
  if (status == "SCHEDULED" || status == "ARRIVED" || status == "READY" || status == "STARTED" || status == "IN PROGRESS")
    return "active";
  if (status == "COMPLETED") return "completed";
  if (status == domain::kStepCanceled || status == domain::kStepDiscontinued) return "revoked";
  return "unknown";
}

json ServiceRequestResource(const domain::ScheduledStep& step) {
  json identifiers = json::array({AccessionIdentifier(step.accession_number)});
  if (!step.placer_order_number.empty())
    identifiers.push_back({{"type", {{"coding", json::array({{{"system", kV2IdentifierType}, {"code", "PLAC"}}})}}},
                           {"value", step.placer_order_number}});
  if (!step.filler_order_number.empty())
    identifiers.push_back({{"type", {{"coding", json::array({{{"system", kV2IdentifierType}, {"code", "FILL"}}})}}},
                           {"value", step.filler_order_number}});
  json out = {{"resourceType", "ServiceRequest"},
              {"id", EscapeId(step.accession_number)},
              {"identifier", identifiers},
              {"status", RequestStatus(step.status)},
              {"intent", "order"},
              {"code", ProcedureCode(step.requested_procedure_code, step.requested_procedure_description)},
              {"subject", PatientReference(step.patient)}};
  const std::string priority = step.priority == "STAT" ? "stat" : step.priority == "HIGH" ? "urgent" : "routine";
  if (!step.priority.empty()) out["priority"] = priority;
  if (auto date = FhirDate(step.start_date); !date.empty()) out["occurrenceDateTime"] = date;
  const std::string& requester = step.requesting_physician.empty() ? step.referring_physician : step.requesting_physician;
  if (auto display = DisplayName(requester); !display.empty()) out["requester"] = {{"display", display}};
  if (!step.indication.empty()) out["reasonCode"] = json::array({{{"text", step.indication}}});
  if (!step.modality.empty())
    out["category"] = json::array({{{"coding", json::array({{{"system", kDicomCodes}, {"code", step.modality}}})}}});
  return out;
}

std::string ReportStatus(const domain::ReportDocument& report) {
  return report.status == domain::kReportAddendum || !report.addenda.empty() ? "amended" : "final";
}

json DiagnosticReportResource(const domain::ReportDocument& report, std::string_view base, bool study_known,
                              std::string_view order_id) {
  json out = {{"resourceType", "DiagnosticReport"},
              {"id", EscapeId(report.report_id)},
              {"identifier", json::array({{{"system", "urn:systole:report"}, {"value", report.report_id}}})},
              {"status", ReportStatus(report)},
              {"code",
               {{"coding", json::array({{{"system", "urn:systole:report-template"},
                                         {"code", report.template_id.empty() ? "report" : report.template_id}}})},
                {"text", report.template_title.empty() ? "Report" : report.template_title}}},
              {"subject", PatientReference(report.patient)}};
  if (!report.template_title.empty()) out["code"]["coding"][0]["display"] = report.template_title;
  if (!order_id.empty()) out["basedOn"] = json::array({{{"reference", "ServiceRequest/" + std::string(order_id)}}});
  if (auto date = FhirDate(report.study_date); !date.empty()) out["effectiveDateTime"] = date;
  const auto& last = report.addenda.empty() ? report.signature : report.addenda.back().signature;
  if (!last.signed_at.empty()) out["issued"] = last.signed_at;
  const std::string& signer = report.signature.signer_display.empty() ? report.signature.signer : report.signature.signer_display;
  if (!signer.empty()) out["resultsInterpreter"] = json::array({{{"display", signer}}});
  if (study_known)
    out["imagingStudy"] = json::array({{{"reference", "ImagingStudy/" + report.study_instance_uid}}});
  json results = json::array();
  for (const auto& observation : ObservationResources(report))
    results.push_back({{"reference", "Observation/" + observation["id"].get<std::string>()}});
  if (!results.empty()) out["result"] = std::move(results);
  std::string conclusion = report.impression;
  for (const auto& addendum : report.addenda) conclusion += (conclusion.empty() ? "" : "\n\nAddendum: ") + addendum.text;
  if (!conclusion.empty()) out["conclusion"] = conclusion;
  std::string root(base);
  if (root.ends_with("/fhir")) root.resize(root.size() - 5);
  out["presentedForm"] = json::array({{{"contentType", "application/pdf"},
                                       {"url", root + "/api/reports/" + report.report_id + "/pdf"},
                                       {"title", report.template_title.empty() ? "Report" : report.template_title}}});
  return out;
}

std::vector<json> ObservationResources(const domain::ReportDocument& report) {
  std::vector<json> out;
  const std::string status = ReportStatus(report);
  for (const auto& section : report.sections) {
    for (const auto& value : section.values) {
      if (value.value.empty()) continue;
      json code = {{"text", value.label.empty() ? value.field_id : value.label}};
      if (!value.code.empty()) code["coding"] = json::array({Coding(value.code)});
      json o = {{"resourceType", "Observation"},
                {"id", ObservationLogicalId(report.report_id, value.field_id)},
                {"status", status},
                {"category", json::array({{{"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/observation-category"},
                                                                     {"code", "imaging"}}})}}})},
                {"code", code},
                {"subject", PatientReference(report.patient)}};
      if (auto date = FhirDate(report.study_date); !date.empty()) o["effectiveDateTime"] = date;
      if (!report.signature.signed_at.empty()) o["issued"] = report.signature.signed_at;
      const auto number = value.kind == "number" ? Decimal(value.value) : std::nullopt;
      if (number) {
        o["valueQuantity"] = Quantity(*number, value.unit);
      } else if (value.kind == "choice" && !value.choice_code.empty()) {
        o["valueCodeableConcept"] = {{"coding", json::array({Coding(value.choice_code)})}, {"text", value.value}};
      } else {
        o["valueString"] = value.value;
      }
      if (!value.normal_range.empty()) o["referenceRange"] = json::array({ReferenceRange(value.normal_range, value.unit)});
      if (value.flag == "H" || value.flag == "L")
        o["interpretation"] = json::array(
            {{{"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"},
                                        {"code", value.flag},
                                        {"display", value.flag == "H" ? "High" : "Low"}}})}}});
      if (!value.source.empty()) o["method"] = {{"text", value.source}};
      out.push_back(std::move(o));
    }
  }
  return out;
}

json EndpointResource(std::string_view base) {
  std::string root(base);
  if (root.ends_with("/fhir")) root.resize(root.size() - 5);
  return {{"resourceType", "Endpoint"},
          {"id", kEndpointId},
          {"status", "active"},
          {"name", "Systole DICOMweb (QIDO-RS, WADO-RS, STOW-RS)"},
          {"connectionType", {{"system", "http://terminology.hl7.org/CodeSystem/endpoint-connection-type"},
                              {"code", "dicom-wado-rs"}}},
          {"payloadType", json::array({{{"text", "DICOM"}}})},
          {"payloadMimeType", json::array({"application/dicom"})},
          {"address", root + "/dicomweb"}};
}

json OperationOutcome(std::string_view severity, std::string_view code, std::string_view diagnostics) {
  return {{"resourceType", "OperationOutcome"},
          {"issue", json::array({{{"severity", severity}, {"code", code}, {"diagnostics", diagnostics}}})}};
}

}  // namespace systole::fhir
