// ReportService: structured reports over a study — created from a template
// and auto-populated (auto_populate.h), edited by the reader, and taken
// through draft → preliminary → final → addendum.
//
// Newer measurements: a draft or preliminary report is re-populated from the
// study's current measurements whenever it is read (Get) or edited, so a
// measurement stored after the report was created appears on the next read,
// with a note on the field; typed values are never overwritten.
//
// Signing (final, addendum) is allowed to the configured signers only. A
// signature records signer, time and the SHA-256 of the canonical content
// (document_json.h); the signed domain::ReportDocument is stored as a new
// immutable version in the same transaction as the working copy, and only
// then are the OnSigned callbacks called. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/report.h"
#include "ports/identity_index.h"
#include "ports/report_store.h"
#include "ports/study_index.h"
#include "services/measurements/measurement_service.h"
#include "services/reporting/auto_populate.h"
#include "services/reporting/concept_map.h"
#include "services/reporting/report_model.h"
#include "services/reporting/report_template.h"

namespace systole::services {

struct ReportingConfig {
  std::vector<std::string> signers{"demo"};  // user names allowed to sign (final, addendum)
  std::string institution = "Systole demo hospital";
};

// Reads height and weight from the stored objects of a study (DICOM header).
using PatientBodyReader = std::function<PatientBody(const std::string& study_instance_uid)>;

// A reader's change to one field: a new value (typed), a clear (nullopt), or an accept.
struct FieldEdit {
  std::optional<std::string> value;
  bool accept = false;
};

class ReportService {
 public:
  ReportService(ports::ReportStore& store, ports::StudyQuery& studies, ports::OrderBook& orders,
                MeasurementService& measurements, std::vector<ReportTemplate> templates, ConceptMap concept_map,
                PatientBodyReader body_reader, const Clock& clock, ReportingConfig config);

  const std::vector<ReportTemplate>& Templates() const { return templates_; }
  const ReportTemplate* FindTemplate(const std::string& id) const;

  // A new auto-populated draft. kNotFound for an unknown study or template.
  Result<Report> Create(const std::string& study_instance_uid, const std::string& template_id,
                        const std::string& user);
  // kNotFound for an unknown study (an empty list when it has no reports).
  Result<std::vector<Report>> StudyReports(const std::string& study_instance_uid);
  // The working copy (drafts refreshed from newer measurements first). kNotFound.
  Result<Report> Get(const std::string& id);

  // Edits. kNotFound (report), kInvalidArgument (unknown field, a value the
  // field's kind refuses, a derived-only request), kAlreadyExists when the
  // report is final ("use an addendum").
  Result<Report> SetField(const std::string& id, const std::string& field_id, const FieldEdit& edit,
                          const std::string& user);
  Result<Report> SetText(const std::string& id, const std::optional<std::string>& findings,
                         const std::optional<std::string>& impression, const std::string& user);

  // draft ⇄ preliminary, draft/preliminary → final. kPermissionDenied when
  // `user` may not sign; kAlreadyExists when already final; kInvalidArgument
  // for another status.
  Result<Report> SetStatus(const std::string& id, const std::string& status, const std::string& user);
  // A signed addendum to a final report. kAlreadyExists-free: kInvalidArgument
  // when the report is not final yet or the text is empty; kPermissionDenied.
  Result<Report> AddAddendum(const std::string& id, const std::string& text, const std::string& user);

  // Every signed version, oldest first. kNotFound for an unknown report.
  Result<std::vector<domain::ReportDocument>> Versions(const std::string& id);

  // The document the report would be if signed now (the API's view of fields).
  domain::ReportDocument Preview(const Report& report) const;

  void OnSigned(std::function<void(const domain::ReportDocument&)> callback);

 private:
  Result<StudyFacts> GatherFacts(const std::string& study_instance_uid);
  Result<Report> Load(const std::string& id, ports::ReportRow& row);
  Status Save(const Report& report, ports::ReportRow& row, const domain::ReportDocument* signed_document);
  bool Refresh(Report& report);
  Result<Report> Sign(Report report, ports::ReportRow& row, const std::string& to, const std::string& user,
                      const std::string& addendum_text);
  std::string Now() const;

  ports::ReportStore& store_;
  ports::StudyQuery& studies_;
  ports::OrderBook& orders_;
  MeasurementService& measurements_;
  std::vector<ReportTemplate> templates_;
  ConceptMap concept_map_;
  PatientBodyReader body_reader_;
  const Clock& clock_;
  ReportingConfig config_;
  std::mutex mutex_;  // one read-modify-write at a time (the store also refuses lost updates)
  std::vector<std::function<void(const domain::ReportDocument&)>> on_signed_;
};

}  // namespace systole::services
