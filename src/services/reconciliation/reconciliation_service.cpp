#include "services/reconciliation/reconciliation_service.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base/log.h"

namespace systole::services {
namespace {

using nlohmann::json;

constexpr const char* kSystem = "system";

std::string NormalisedName(std::string_view name) {
  std::string out;
  for (char c : name)
    if (c != ' ') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  while (!out.empty() && out.back() == '^') out.pop_back();
  return out;
}

json PatientJson(const domain::Patient& p) {
  return {{"id", p.identity.id}, {"issuer", p.identity.issuer}, {"name", p.name}, {"birth_date", p.birth_date},
          {"sex", p.sex}};
}

json ToJson(const domain::StudyReconciliation& r) {
  json differences = json::array();
  for (const auto& d : r.differences)
    differences.push_back({{"attribute", d.attribute}, {"header", d.header}, {"order", d.order}});
  json out{{"study_instance_uid", r.study_instance_uid}, {"state", r.state}, {"accession_number", r.accession_number},
           {"header_patient", PatientJson(r.header_patient)}, {"differences", differences},
           {"updated_at", r.updated_at}};
  // The order context once linked; for a mismatch, the order it was checked against.
  if (r.state != domain::kReconLinked && !r.order_accession.empty()) out["candidate_accession"] = r.order_accession;
  if (r.state == domain::kReconLinked)
    out["order"] = {{"accession_number", r.order_accession}, {"requested_procedure", r.requested_procedure},
                    {"indication", r.indication}, {"priority", r.priority},
                    {"referring_physician", r.referring_physician}};
  return out;
}

// The step of `accession` that is not cancelled or discontinued; nullptr if none.
const domain::ScheduledStep* LiveStep(const std::vector<domain::ScheduledStep>& steps, const std::string& accession) {
  auto it = std::find_if(steps.begin(), steps.end(), [&](const domain::ScheduledStep& s) {
    return s.accession_number == accession && s.status != domain::kStepCanceled &&
           s.status != domain::kStepDiscontinued;
  });
  return it == steps.end() ? nullptr : &*it;
}

}  // namespace

// Text from DICOM headers is not always valid UTF-8: invalid bytes become U+FFFD, never an exception.
std::string RecordJson(const domain::StudyReconciliation& record) { return ToJson(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::vector<domain::IdentityDifference> CompareIdentity(const domain::Patient& header, const domain::Patient& order) {
  std::vector<domain::IdentityDifference> out;
  auto check = [&](const char* attribute, const std::string& a, const std::string& b, bool differ) {
    if (!a.empty() && !b.empty() && differ) out.push_back({attribute, a, b});
  };
  check("PatientID", header.identity.id, order.identity.id, header.identity.id != order.identity.id);
  check("IssuerOfPatientID", header.identity.issuer, order.identity.issuer,
        header.identity.issuer != order.identity.issuer);
  check("PatientName", header.name, order.name, NormalisedName(header.name) != NormalisedName(order.name));
  check("PatientBirthDate", header.birth_date, order.birth_date, header.birth_date != order.birth_date);
  check("PatientSex", header.sex, order.sex, header.sex != order.sex);
  return out;
}

ReconciliationService::ReconciliationService(ports::ReconciliationStore& store, ports::OrderBook& orders)
    : store_(store), orders_(orders) {}

Result<bool> ReconciliationService::Known(const std::string& study_uid) {
  auto record = store_.GetReconciliation(study_uid);
  if (!record) return std::unexpected(record.error());
  return record->has_value();
}

domain::StudyReconciliation ReconciliationService::Match(domain::StudyReconciliation r, const domain::Patient& patient,
                                                        const std::vector<domain::ScheduledStep>& steps) {
  r.differences.clear();
  r.order_accession = r.requested_procedure = r.indication = r.priority = r.referring_physician = "";
  r.state = domain::kReconOrphan;
  const domain::ScheduledStep* step = r.accession_number.empty() ? nullptr : LiveStep(steps, r.accession_number);
  if (!step) return r;
  r.order_accession = step->accession_number;
  r.differences = CompareIdentity(patient, step->patient);
  if (!r.differences.empty()) {
    r.state = domain::kReconMismatch;
    return r;
  }
  r.state = domain::kReconLinked;
  r.requested_procedure = step->requested_procedure_description;
  r.indication = step->indication;
  r.priority = step->priority;
  r.referring_physician = step->referring_physician;
  return r;
}

Status ReconciliationService::Save(const domain::StudyReconciliation& before, const domain::StudyReconciliation& after,
                                   const std::string& user, const std::string& action) {
  SYSTOLE_RETURN_IF_ERROR(store_.PutReconciliation(after));
  LOG_INFO("reconcile", "study {}: {} by {} ({} -> {})", after.study_instance_uid, action, user,
           before.state.empty() ? "new" : before.state, after.state);
  return store_.AppendAction({0, "", user, action, after.study_instance_uid,
                              before.state.empty() ? "" : RecordJson(before), RecordJson(after)});
}

Status ReconciliationService::StudyStored(const std::string& study_uid, const domain::Patient& header_patient,
                                          const std::string& accession_number) {
  std::lock_guard lock(mutex_);
  auto existing = store_.GetReconciliation(study_uid);
  if (!existing) return std::unexpected(existing.error());
  if (existing->has_value()) return {};
  domain::StudyReconciliation record;
  record.study_instance_uid = study_uid;
  record.header_patient = header_patient;
  record.accession_number = accession_number;
  auto steps = orders_.ListSteps(/*active_only=*/false);
  if (!steps) return std::unexpected(steps.error());
  auto matched = Match(record, header_patient, *steps);
  const std::string action = matched.state == domain::kReconLinked ? "auto-link" : matched.state;
  return Save({}, matched, kSystem, action);
}

Result<std::size_t> ReconciliationService::Retry() {
  std::lock_guard lock(mutex_);
  std::size_t linked = 0;
  auto steps = orders_.ListSteps(/*active_only=*/false);
  if (!steps) return std::unexpected(steps.error());
  for (const char* state : {domain::kReconOrphan, domain::kReconMismatch}) {
    auto waiting = store_.ListReconciliations(state);
    if (!waiting) return std::unexpected(waiting.error());
    for (const auto& record : *waiting) {
      // A merge or correction since (the study is filed under another ID) is authoritative.
      domain::Patient patient = record.header_patient;
      if (auto current = store_.StudyPatient(record.study_instance_uid);
          current && current->identity.id != patient.identity.id)
        patient = *current;
      auto matched = Match(record, patient, *steps);
      if (matched.state == record.state && matched.differences.size() == record.differences.size()) continue;
      const std::string action = matched.state == domain::kReconLinked ? "auto-link" : matched.state;
      SYSTOLE_RETURN_IF_ERROR(Save(record, matched, kSystem, action));
      if (matched.state == domain::kReconLinked) ++linked;
    }
  }
  return linked;
}

Result<domain::StudyReconciliation> ReconciliationService::Require(const std::string& study_uid) {
  auto record = store_.GetReconciliation(study_uid);
  if (!record) return std::unexpected(record.error());
  if (!record->has_value()) return Fail(ErrorCode::kNotFound, "study " + study_uid + " is not stored");
  return **record;
}

Result<domain::StudyReconciliation> ReconciliationService::Link(const std::string& study_uid,
                                                                const std::string& accession, const std::string& user) {
  if (accession.empty()) return Fail(ErrorCode::kInvalidArgument, "an accession number is required");
  std::lock_guard lock(mutex_);
  auto before = Require(study_uid);
  if (!before) return before;
  if (before->state == domain::kReconLinked && before->order_accession == accession)
    return Fail(ErrorCode::kInvalidArgument, "study " + study_uid + " is already linked to " + accession);
  auto steps = orders_.ListSteps(/*active_only=*/false);
  if (!steps) return std::unexpected(steps.error());
  const domain::ScheduledStep* step = LiveStep(*steps, accession);
  if (!step) return Fail(ErrorCode::kNotFound, "no active order with accession number " + accession);
  // The admin confirms the order's patient: the study is filed under it.
  SYSTOLE_RETURN_IF_ERROR(store_.RefileStudy(study_uid, step->patient));
  domain::StudyReconciliation after = *before;
  after.accession_number = accession;
  after = Match(after, step->patient, *steps);
  after.accession_number = before->accession_number;  // the header's, as received
  SYSTOLE_RETURN_IF_ERROR(Save(*before, after, user, "link"));
  return after;
}

Result<domain::StudyReconciliation> ReconciliationService::CorrectPatient(const std::string& study_uid,
                                                                          const domain::Patient& patient,
                                                                          const std::string& user) {
  if (patient.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "a patient id is required");
  std::lock_guard lock(mutex_);
  auto before = Require(study_uid);
  if (!before) return before;
  SYSTOLE_RETURN_IF_ERROR(store_.RefileStudy(study_uid, patient));
  auto current = store_.StudyPatient(study_uid);
  if (!current) return std::unexpected(current.error());
  domain::StudyReconciliation after = *before;
  if (before->state != domain::kReconLinked) {
    auto steps = orders_.ListSteps(/*active_only=*/false);
    if (!steps) return std::unexpected(steps.error());
    after = Match(*before, *current, *steps);
  }
  SYSTOLE_RETURN_IF_ERROR(Save(*before, after, user, "correct-patient"));
  return after;
}

Result<domain::StudyReconciliation> ReconciliationService::Dismiss(const std::string& study_uid,
                                                                   const std::string& user) {
  std::lock_guard lock(mutex_);
  auto before = Require(study_uid);
  if (!before) return before;
  if (before->state != domain::kReconOrphan && before->state != domain::kReconMismatch)
    return Fail(ErrorCode::kInvalidArgument, "study " + study_uid + " is " + before->state + ", nothing to dismiss");
  domain::StudyReconciliation after = *before;
  after.state = domain::kReconDismissed;
  SYSTOLE_RETURN_IF_ERROR(Save(*before, after, user, "dismiss"));
  return after;
}

}  // namespace systole::services
