#include "services/identity/identity_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <random>

namespace systole::services {

using domain::Attribute;

namespace {

// The domain attribute whose matching rules (VR) a worklist key shares.
Attribute MatchingRulesOf(WorklistKey key) {
  switch (key) {
    case WorklistKey::kPatientName:
    case WorklistKey::kReferringPhysicianName: return Attribute::PatientName;
    case WorklistKey::kStudyInstanceUID: return Attribute::StudyInstanceUID;
    case WorklistKey::kScheduledProcedureStepStartDate: return Attribute::StudyDate;
    case WorklistKey::kScheduledProcedureStepStartTime: return Attribute::StudyTime;
    default: return Attribute::AccessionNumber;  // plain text: single value and wildcard
  }
}

const std::string& ValueOf(const domain::ScheduledStep& s, WorklistKey key) {
  switch (key) {
    case WorklistKey::kPatientID: return s.patient.identity.id;
    case WorklistKey::kPatientName: return s.patient.name;
    case WorklistKey::kAccessionNumber: return s.accession_number;
    case WorklistKey::kStudyInstanceUID: return s.study_instance_uid;
    case WorklistKey::kRequestedProcedureID: return s.requested_procedure_id;
    case WorklistKey::kReferringPhysicianName: return s.referring_physician;
    case WorklistKey::kScheduledStationAETitle: return s.station_ae_titles;
    case WorklistKey::kModality: return s.modality;
    case WorklistKey::kScheduledProcedureStepStartDate: return s.start_date;
    case WorklistKey::kScheduledProcedureStepStartTime: return s.start_time;
    case WorklistKey::kScheduledProcedureStepID: return s.step_id;
    case WorklistKey::kScheduledProcedureStepStatus: return s.status;
  }
  return s.status;
}

// A UID under the 2.25 root (ITU-T X.667): a random 122-bit UUID as a decimal integer.
std::string NewUid() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  unsigned __int128 value = (static_cast<unsigned __int128>(random()) << 64) | random();
  value &= ~(static_cast<unsigned __int128>(0xF000) << 64);  // version 4 layout, roughly: top bits cleared
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value != 0);
  return "2.25." + digits;
}

}  // namespace

Result<WorklistCondition> ParseWorklistCondition(WorklistKey key, std::string_view raw) {
  auto matcher = domain::ParseMatcher(MatchingRulesOf(key), raw);
  if (!matcher) return std::unexpected(matcher.error());
  return WorklistCondition{key, *matcher};
}

bool MatchesWorklist(const domain::ScheduledStep& step, const std::vector<WorklistCondition>& conditions) {
  for (const auto& c : conditions) {
    const std::string& stored = ValueOf(step, c.key);
    const Attribute rules = MatchingRulesOf(c.key);
    if (c.key == WorklistKey::kScheduledStationAETitle) {  // multi-valued: any value may match
      bool any = false;
      std::size_t start = 0;
      while (!any) {
        auto end = stored.find('\\', start);
        any = domain::Matches(rules, c.matcher, std::string_view(stored).substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
      }
      if (!any) return false;
      continue;
    }
    if (!domain::Matches(rules, c.matcher, stored)) return false;
  }
  return true;
}

IdentityService::IdentityService(ports::PatientRegistry& registry, ports::OrderBook& orders, ports::MessageLog& log,
                                 const Clock& clock)
    : registry_(registry), orders_(orders), log_(log), clock_(clock) {}

Result<bool> IdentityService::RecordPatient(const domain::Patient& patient) {
  if (patient.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "patient identifier missing");
  auto created = registry_.UpsertPatient(patient, false);
  if (created) Changed();
  return created;
}

Result<domain::MergeOutcome> IdentityService::MergePatients(const domain::Patient& surviving,
                                                            const domain::PatientIdentity& merged,
                                                            std::string_view reference) {
  if (surviving.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "surviving patient identifier missing");
  if (merged.id.empty()) return Fail(ErrorCode::kInvalidArgument, "merged patient identifier missing");
  auto outcome = registry_.MergePatients(surviving, merged, reference);
  if (outcome) Changed();
  return outcome;
}

Result<std::size_t> IdentityService::ApplyOrder(OrderControl control, std::vector<domain::ScheduledStep> steps) {
  std::size_t touched = 0;
  for (auto& step : steps) {
    if (step.accession_number.empty()) return Fail(ErrorCode::kInvalidArgument, "accession number missing");
    if (control == OrderControl::kCancel || control == OrderControl::kDiscontinue) {
      auto count = orders_.SetOrderStatus(step.accession_number, control == OrderControl::kCancel
                                                                     ? domain::kStepCanceled
                                                                     : domain::kStepDiscontinued);
      if (!count) return std::unexpected(count.error());
      if (*count == 0) return Fail(ErrorCode::kNotFound, "no order with accession number " + step.accession_number);
      touched += *count;
      continue;
    }
    if (step.patient.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "patient identifier missing");
    if (step.requested_procedure_id.empty()) step.requested_procedure_id = step.accession_number;
    if (step.step_id.empty()) step.step_id = step.accession_number;
    if (step.study_instance_uid.empty()) {
      // Kept across changes: the index keeps the stored UID when given none.
      auto existing = orders_.ListSteps(false);
      if (!existing) return std::unexpected(existing.error());
      for (const auto& e : *existing)
        if (e.accession_number == step.accession_number && !e.study_instance_uid.empty())
          step.study_instance_uid = e.study_instance_uid;
      if (step.study_instance_uid.empty()) step.study_instance_uid = NewUid();
    }
    step.status = domain::kStepScheduled;
    SYSTOLE_RETURN_IF_ERROR(orders_.UpsertStep(step));
    ++touched;
  }
  Changed();
  return touched;
}

Result<std::vector<domain::ScheduledStep>> IdentityService::FindWorklist(
    const std::vector<WorklistCondition>& conditions, std::size_t limit) {
  bool by_status = false;
  for (const auto& c : conditions)
    if (c.key == WorklistKey::kScheduledProcedureStepStatus && c.matcher.kind != domain::Matcher::Kind::kUniversal)
      by_status = true;
  auto steps = orders_.ListSteps(!by_status);
  if (!steps) return std::unexpected(steps.error());
  std::vector<domain::ScheduledStep> out;
  for (auto& step : *steps) {
    if (!MatchesWorklist(step, conditions)) continue;
    out.push_back(std::move(step));
    if (limit != 0 && out.size() >= limit) break;
  }
  return out;
}

Status IdentityService::RecordMessage(domain::InboundMessage message) {
  if (message.received_at.empty())
    message.received_at = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::milliseconds>(clock_.Now()));
  return log_.RecordMessage(message);
}

std::string IdentityService::Hl7Timestamp() const {
  return fmt::format("{:%Y%m%d%H%M%S}", std::chrono::floor<std::chrono::seconds>(clock_.Now()));
}

}  // namespace systole::services
