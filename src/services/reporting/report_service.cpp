#include "services/reporting/report_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "base/log.h"
#include "services/reporting/document_json.h"

namespace systole::services {
namespace {

std::string NewReportId() {
  std::random_device random;
  return fmt::format("{:08x}{:08x}{:08x}{:08x}", random(), random(), random(), random());
}

bool IsFinal(const Report& r) { return r.status == domain::kReportFinal || r.status == domain::kReportAddendum; }

Error FinalError(const Report& r) {
  return {ErrorCode::kAlreadyExists,
          fmt::format("report {} is {}: a final report cannot be changed; use an addendum", r.id, r.status)};
}

}  // namespace

ReportService::ReportService(ports::ReportStore& store, ports::StudyQuery& studies, ports::OrderBook& orders,
                             MeasurementService& measurements, std::vector<ReportTemplate> templates,
                             ConceptMap concept_map, PatientBodyReader body_reader, const Clock& clock,
                             ReportingConfig config)
    : store_(store),
      studies_(studies),
      orders_(orders),
      measurements_(measurements),
      templates_(std::move(templates)),
      concept_map_(std::move(concept_map)),
      body_reader_(std::move(body_reader)),
      clock_(clock),
      config_(std::move(config)) {}

const ReportTemplate* ReportService::FindTemplate(const std::string& id) const {
  for (const auto& t : templates_)
    if (t.id == id) return &t;
  return nullptr;
}

std::string ReportService::Now() const {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(clock_.Now()));
}

void ReportService::OnSigned(std::function<void(const domain::ReportDocument&)> callback) {
  std::lock_guard lock(mutex_);
  on_signed_.push_back(std::move(callback));
}

Result<StudyFacts> ReportService::GatherFacts(const std::string& study_instance_uid) {
  domain::Query query;
  auto matcher = domain::ParseMatcher(domain::Attribute::StudyInstanceUID, study_instance_uid);
  if (!matcher || study_instance_uid.empty())
    return Fail(ErrorCode::kInvalidArgument, "malformed StudyInstanceUID \"" + study_instance_uid + "\"");
  query.conditions.push_back({domain::Attribute::StudyInstanceUID, *matcher});
  auto rows = studies_.Find(query);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return Fail(ErrorCode::kNotFound, "no study " + study_instance_uid);
  const auto& row = rows->front();
  auto get = [&](domain::Attribute a) { return row[static_cast<std::size_t>(a)]; };
  StudyFacts facts;
  auto& c = facts.context;
  c.patient.identity = {get(domain::Attribute::PatientID), get(domain::Attribute::IssuerOfPatientID)};
  c.patient.name = get(domain::Attribute::PatientName);
  c.patient.birth_date = get(domain::Attribute::PatientBirthDate);
  c.patient.sex = get(domain::Attribute::PatientSex);
  c.accession_number = get(domain::Attribute::AccessionNumber);
  c.study_date = get(domain::Attribute::StudyDate);
  c.study_time = get(domain::Attribute::StudyTime);
  c.study_description = get(domain::Attribute::StudyDescription);
  c.referring_physician = get(domain::Attribute::ReferringPhysicianName);
  if (!c.accession_number.empty()) {
    auto steps = orders_.ListSteps(/*active_only=*/false);
    if (!steps) return std::unexpected(steps.error());
    for (const auto& step : *steps) {
      if (step.accession_number != c.accession_number) continue;
      if (!step.indication.empty()) c.indication = step.indication;
      if (c.referring_physician.empty()) c.referring_physician = step.referring_physician;
    }
  }
  if (body_reader_) facts.body = body_reader_(study_instance_uid);
  auto measurements = measurements_.StudyMeasurements(study_instance_uid);
  if (!measurements) return std::unexpected(measurements.error());
  facts.measurements = std::move(*measurements);
  return facts;
}

Result<Report> ReportService::Load(const std::string& id, ports::ReportRow& row) {
  auto stored = store_.GetReport(id);
  if (!stored) return std::unexpected(stored.error());
  row = std::move(*stored);
  auto report = ParseReport(row.body);
  if (!report) LOG_ERROR("reporting", "report {}: {}", id, report.error().message);
  return report;
}

Status ReportService::Save(const Report& report, ports::ReportRow& row, const domain::ReportDocument* signed_document) {
  row.status = report.status;
  row.body = SerializeReport(report);
  row.updated_at = Now();
  if (!signed_document) return store_.UpdateReport(row, nullptr);
  ports::SignedVersion v;
  v.report_id = report.id;
  v.version = signed_document->version;
  v.status = signed_document->status;
  const auto& signature =
      signed_document->addenda.empty() ? signed_document->signature : signed_document->addenda.back().signature;
  v.signer = signature.signer;
  v.signed_at = signature.signed_at;
  v.content_sha256 = signature.content_sha256;
  v.patient_id = signed_document->patient.identity.id;
  v.patient_issuer = signed_document->patient.identity.issuer;
  v.study_instance_uid = signed_document->study_instance_uid;
  v.accession_number = signed_document->accession_number;
  v.document = DocumentJson(*signed_document).dump();
  return store_.UpdateReport(row, &v);
}

bool ReportService::Refresh(Report& report) {
  if (IsFinal(report)) return false;
  const auto* tmpl = FindTemplate(report.template_id);
  if (!tmpl) return false;
  auto facts = GatherFacts(report.study_instance_uid);
  if (!facts) {
    LOG_WARN("reporting", "report {}: measurements not re-read: {}", report.id, facts.error().message);
    return false;
  }
  bool changed = Populate(*tmpl, concept_map_, *facts, /*refresh=*/true, report);
  changed |= ApplyDerivations(*tmpl, report);
  return changed;
}

Result<Report> ReportService::Create(const std::string& study_instance_uid, const std::string& template_id,
                                     const std::string& user) {
  const auto* tmpl = FindTemplate(template_id);
  if (!tmpl) return Fail(ErrorCode::kNotFound, "no report template \"" + template_id + "\"");
  auto facts = GatherFacts(study_instance_uid);
  if (!facts) return std::unexpected(facts.error());
  Report report;
  report.id = NewReportId();
  report.study_instance_uid = study_instance_uid;
  report.template_id = template_id;
  report.created_at = Now();
  report.created_by = user;
  report.context = facts->context;
  Populate(*tmpl, concept_map_, *facts, /*refresh=*/false, report);
  ApplyDerivations(*tmpl, report);
  report.history.push_back({"", domain::kReportDraft, user, report.created_at});
  ports::ReportRow row{report.id, study_instance_uid, template_id, report.status, 0, SerializeReport(report),
                       report.created_at};
  SYSTOLE_RETURN_IF_ERROR(store_.CreateReport(row));
  LOG_INFO("reporting", "report {} ({}) created for study {} by {}", report.id, template_id, study_instance_uid, user);
  return report;
}

Result<std::vector<Report>> ReportService::StudyReports(const std::string& study_instance_uid) {
  auto facts = GatherFacts(study_instance_uid);  // 404 for an unknown study
  if (!facts) return std::unexpected(facts.error());
  auto rows = store_.StudyReports(study_instance_uid);
  if (!rows) return std::unexpected(rows.error());
  std::vector<Report> out;
  for (const auto& row : *rows) {
    auto report = ParseReport(row.body);
    if (!report) return std::unexpected(report.error());
    out.push_back(std::move(*report));
  }
  return out;
}

Result<Report> ReportService::Get(const std::string& id) {
  std::lock_guard lock(mutex_);
  ports::ReportRow row;
  auto report = Load(id, row);
  if (!report) return report;
  if (Refresh(*report)) SYSTOLE_RETURN_IF_ERROR(Save(*report, row, nullptr));
  return report;
}

Result<Report> ReportService::SetField(const std::string& id, const std::string& field_id, const FieldEdit& edit,
                                       const std::string& user) {
  std::lock_guard lock(mutex_);
  ports::ReportRow row;
  auto report = Load(id, row);
  if (!report) return report;
  if (IsFinal(*report)) return std::unexpected(FinalError(*report));
  const auto* tmpl = FindTemplate(report->template_id);
  const auto* field = tmpl ? tmpl->Field(field_id) : nullptr;
  if (!field) return Fail(ErrorCode::kInvalidArgument, "report template has no field \"" + field_id + "\"");
  Refresh(*report);
  auto& state = report->fields[field_id];
  if (edit.accept) {
    if (state.value.empty()) return Fail(ErrorCode::kInvalidArgument, "field " + field_id + " has no value to accept");
    state.accepted = true;
    state.note.clear();
  } else {
    std::string value = edit.value.value_or("");
    if (!value.empty() && field->kind == "number") {
      char* end = nullptr;
      std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0')
        return Fail(ErrorCode::kInvalidArgument, "field " + field_id + " takes a number in " + field->unit);
    }
    if (!value.empty() && field->kind == "choice" && !field->Choice(value))
      return Fail(ErrorCode::kInvalidArgument, "field " + field_id + " has no choice \"" + value + "\"");
    state = {value, domain::kSourceTyped, user, "", true};
    ApplyDerivations(*tmpl, *report);
  }
  SYSTOLE_RETURN_IF_ERROR(Save(*report, row, nullptr));
  return report;
}

Result<Report> ReportService::SetText(const std::string& id, const std::optional<std::string>& findings,
                                      const std::optional<std::string>& impression, const std::string& user) {
  std::lock_guard lock(mutex_);
  ports::ReportRow row;
  auto report = Load(id, row);
  if (!report) return report;
  if (IsFinal(*report)) return std::unexpected(FinalError(*report));
  if (findings) {
    report->findings = *findings;
    report->findings_edited = !findings->empty();
  }
  if (impression) report->impression = *impression;
  SYSTOLE_RETURN_IF_ERROR(Save(*report, row, nullptr));
  LOG_INFO("reporting", "report {}: text edited by {}", id, user);
  return report;
}

domain::ReportDocument ReportService::Preview(const Report& report) const {
  domain::ReportDocument d;
  d.report_id = report.id;
  d.version = std::max(report.version, 1);
  d.status = report.status;
  d.template_id = report.template_id;
  d.institution = config_.institution;
  d.patient = report.context.patient;
  d.study_instance_uid = report.study_instance_uid;
  d.accession_number = report.context.accession_number;
  d.study_date = report.context.study_date;
  d.study_time = report.context.study_time;
  d.study_description = report.context.study_description;
  d.referring_physician = report.context.referring_physician;
  d.indication = report.context.indication;
  d.impression = report.impression;
  d.created_at = report.created_at;
  if (report.signature) d.signature = *report.signature;
  d.addenda = report.addenda;
  const auto* tmpl = FindTemplate(report.template_id);
  if (!tmpl) return d;
  d.template_title = tmpl->title;
  d.findings = report.findings_edited ? report.findings : Narrative(*tmpl, report);
  for (const auto& section : tmpl->sections) {
    domain::ReportSection out{section.id, section.title, {}};
    for (const auto& id : section.field_ids) {
      auto it = report.fields.find(id);
      if (it == report.fields.end() || it->second.value.empty()) continue;
      const auto* field = tmpl->Field(id);
      domain::ReportValue v;
      v.field_id = id;
      v.label = field->label;
      v.code = field->code;
      v.kind = field->kind;
      v.value = it->second.value;
      if (field->kind == "choice")
        if (const auto* c = field->Choice(v.value)) {
          v.value = c->meaning;
          v.choice_code = c->code;
        }
      if (field->kind == "number") {
        v.unit = field->unit;
        if (auto range = field->RangeFor(report.context.patient.sex))
          v.normal_range = FormatNumber(range->low, field->decimals) + "-" + FormatNumber(range->high, field->decimals);
        v.flag = Flag(*field, v.value, report.context.patient.sex);
      }
      v.source = it->second.source;
      v.source_detail = it->second.source_detail;
      out.values.push_back(std::move(v));
    }
    if (!out.values.empty()) d.sections.push_back(std::move(out));
  }
  return d;
}

Result<Report> ReportService::Sign(Report report, ports::ReportRow& row, const std::string& to,
                                   const std::string& user, const std::string& addendum_text) {
  if (std::ranges::find(config_.signers, user) == config_.signers.end())
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("user \"{}\" may not sign reports (reporting.signers)", user));
  const std::string now = Now();
  const std::string from = report.status;
  if (to == domain::kReportFinal) {
    Refresh(report);  // sign what the latest measurements say
    if (!report.findings_edited) {
      if (const auto* tmpl = FindTemplate(report.template_id)) report.findings = Narrative(*tmpl, report);
      report.findings_edited = true;  // the signed narrative is frozen
    }
  }
  report.status = to;
  report.version += 1;
  domain::ReportSignature signature{user, user, now, ""};
  if (to == domain::kReportAddendum) report.addenda.push_back({addendum_text, signature});
  domain::ReportDocument document = Preview(report);
  document.version = report.version;
  document.status = to;
  signature.content_sha256 = Sha256Hex(CanonicalContent(document));
  if (to == domain::kReportFinal) {
    report.signature = signature;
    document.signature = signature;
  } else {
    report.addenda.back().signature = signature;
    document.addenda.back().signature = signature;
  }
  report.history.push_back({from, to, user, now});
  SYSTOLE_RETURN_IF_ERROR(Save(report, row, &document));
  LOG_INFO("reporting", "report {} signed ({} v{}) by {}, sha256 {}", report.id, to, report.version, user,
           signature.content_sha256);
  for (const auto& callback : on_signed_) callback(document);
  return report;
}

Result<Report> ReportService::SetStatus(const std::string& id, const std::string& status, const std::string& user) {
  std::lock_guard lock(mutex_);
  ports::ReportRow row;
  auto report = Load(id, row);
  if (!report) return report;
  if (status != domain::kReportDraft && status != domain::kReportPreliminary && status != domain::kReportFinal)
    return Fail(ErrorCode::kInvalidArgument,
                "status \"" + status + "\" is not draft, preliminary or final (addenda: POST .../addenda)");
  if (IsFinal(*report)) return std::unexpected(FinalError(*report));
  if (status == domain::kReportFinal) return Sign(std::move(*report), row, status, user, "");
  if (status == report->status) return report;
  Refresh(*report);
  report->history.push_back({report->status, status, user, Now()});
  report->status = status;
  SYSTOLE_RETURN_IF_ERROR(Save(*report, row, nullptr));
  LOG_INFO("reporting", "report {} is {} ({})", id, status, user);
  return report;
}

Result<Report> ReportService::AddAddendum(const std::string& id, const std::string& text, const std::string& user) {
  std::lock_guard lock(mutex_);
  ports::ReportRow row;
  auto report = Load(id, row);
  if (!report) return report;
  if (!IsFinal(*report))
    return Fail(ErrorCode::kInvalidArgument, "report " + id + " is " + report->status +
                                                 ": only a final report takes addenda (edit it instead)");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return Fail(ErrorCode::kInvalidArgument, "an addendum needs text");
  return Sign(std::move(*report), row, domain::kReportAddendum, user, text);
}

Result<std::vector<domain::ReportDocument>> ReportService::Versions(const std::string& id) {
  SYSTOLE_RETURN_IF_ERROR(store_.GetReport(id));
  auto versions = store_.Versions(id);
  if (!versions) return std::unexpected(versions.error());
  std::vector<domain::ReportDocument> out;
  for (const auto& v : *versions) {
    auto document = ParseDocument(v.document);
    if (!document) return std::unexpected(document.error());
    out.push_back(std::move(*document));
  }
  return out;
}

}  // namespace systole::services
