// EHR launch: /launch?patient=…&issuer=…[&accession=…] → the right study or the
// patient's study list, or a page saying why not. Never guesses a patient.
#include <algorithm>

#include <fmt/format.h>

#include "base/log.h"
#include "domain/attribute.h"
#include "protocols/fhir/fhir.h"
#include "protocols/fhir/internal/ids.h"
#include "protocols/fhir/internal/search_params.h"

namespace systole::fhir {
namespace {

using domain::Attribute;

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string QueryEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

http::HttpResponse Page(int status, std::string_view title, std::string_view detail) {
  LOG_INFO("launch", "{}: {}", status, detail);
  http::HttpResponse response;
  response.status = status;
  response.body = fmt::format(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Systole: {0}</title></head>"
      "<body><main><h1>{0}</h1><p>{1}</p><p>No images are shown: check the patient and order in the chart, or "
      "<a href=\"/studies\">search the study list</a>.</p></main></body></html>",
      HtmlEscape(title), HtmlEscape(detail));
  response.With("Content-Type", "text/html; charset=utf-8").With("Cache-Control", "no-store");
  return response;
}

http::HttpResponse Redirect(std::string location) {
  http::HttpResponse response;
  response.status = 302;
  response.With("Location", std::move(location)).With("Cache-Control", "no-store");
  return response;
}

const std::string& V(const domain::QueryRow& row, Attribute a) { return row[static_cast<std::size_t>(a)]; }

Result<std::vector<domain::QueryRow>> Studies(services::QueryService& query, Attribute attribute, const std::string& value) {
  domain::Query q{domain::Level::kStudy, {}, 0, 0};
  q.conditions.push_back(ExactCondition(attribute, value));
  return query.Find(q);
}

std::string StudyList(const domain::PatientIdentity& patient, std::string_view accession) {
  std::string url = "/studies?patientId=" + QueryEncode(patient.id) + "&issuer=" + QueryEncode(patient.issuer);
  if (!accession.empty()) url += "&accessionNumber=" + QueryEncode(accession);
  return url;
}

http::HttpResponse Launch(const Context& context, const http::HttpRequest& request) {
  PatientCriterion wanted;
  if (auto identifier = request.Param("patient.identifier")) {
    auto parsed = PatientFromIdentifier(*identifier);
    if (!parsed) return Page(400, "Bad launch request", parsed.error().message);
    wanted = *parsed;
  } else if (auto id = request.Param("patient"); id && !id->empty()) {
    wanted.id = *id;
    if (auto issuer = request.Param("issuer")) wanted.issuer = *issuer;
  } else {
    return Page(400, "Bad launch request", "The launch URL names no patient (patient= or patient.identifier=).");
  }
  auto patients = context.patients.FindPatients({wanted.id, wanted.issuer});
  if (!patients) return Page(503, "Archive unavailable", patients.error().message);
  if (patients->empty())
    return Page(404, "Unknown patient", fmt::format("No patient with ID {}{} is known to Systole.", wanted.id,
                                                   wanted.issuer ? fmt::format(" (issuer {})", *wanted.issuer) : ""));
  if (patients->size() > 1) {
    std::string issuers;
    for (const auto& p : *patients) issuers += (issuers.empty() ? "" : ", ") + (p.identity.issuer.empty() ? "(none)" : p.identity.issuer);
    return Page(409, "Ambiguous patient",
                fmt::format("Patient ID {} exists under several issuers ({}); the launch must name the issuer.",
                            wanted.id, issuers));
  }
  const domain::PatientIdentity patient = patients->front().identity;
  auto of_patient = [&](const domain::QueryRow& row) {
    return V(row, Attribute::PatientID) == patient.id && V(row, Attribute::IssuerOfPatientID) == patient.issuer;
  };
  const std::string accession = request.Param("accession").value_or("");
  if (!accession.empty()) {
    auto studies = Studies(context.query, Attribute::AccessionNumber, accession);
    if (!studies) return Page(503, "Archive unavailable", studies.error().message);
    if (studies->empty())
      return Page(404, "No images for this accession",
                  fmt::format("No study with accession number {} has been received.", accession));
    if (!std::all_of(studies->begin(), studies->end(), of_patient)) {
      LOG_WARN("launch", "accession {} requested for patient {} belongs to another patient", accession, patient.id);
      return Page(409, "Accession of another patient",
                  fmt::format("Accession number {} does not belong to patient {}.", accession, patient.id));
    }
    if (studies->size() == 1) return Redirect("/viewer/" + QueryEncode(V(studies->front(), Attribute::StudyInstanceUID)));
    return Redirect(StudyList(patient, accession));
  }
  auto studies = Studies(context.query, Attribute::PatientID, patient.id);
  if (!studies) return Page(503, "Archive unavailable", studies.error().message);
  std::erase_if(*studies, [&](const auto& row) { return !of_patient(row); });
  if (studies->empty()) return Page(404, "No studies", fmt::format("Patient {} has no studies in Systole.", patient.id));
  if (studies->size() == 1) return Redirect("/viewer/" + QueryEncode(V(studies->front(), Attribute::StudyInstanceUID)));
  return Redirect(StudyList(patient, ""));
}

}  // namespace

void AddLaunchRoutes(http::Router& router, const Context& context) {
  router.Add({"GET", "/launch", "EHR launch: open a patient's study from the chart",
              "patient={PatientID}&issuer={IssuerOfPatientID}[&accession={AccessionNumber}], or "
              "patient.identifier={system}|{id}. 302 to /viewer/{StudyInstanceUID} (one study) or to the study list "
              "of that patient (several); 404 page for an unknown patient/accession or no studies; 409 page for an "
              "ambiguous patient (same ID under several issuers, no issuer given) or an accession of another patient."},
             [context](const http::HttpRequest& request) { return Launch(context, request); });
}

}  // namespace systole::fhir
