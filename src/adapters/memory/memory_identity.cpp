// The identity ports of the in-memory fake: same contract as SqliteIndex.
#include <algorithm>

#include "adapters/memory/memory_index.h"

namespace systole::adapters {

using domain::Attribute;

namespace {

// `candidate` is `identity`: same ID, and the same issuer or none (DICOM without an issuer).
bool SamePatient(const domain::PatientIdentity& candidate, const domain::PatientIdentity& identity) {
  return candidate.id == identity.id && (candidate.issuer == identity.issuer || candidate.issuer.empty());
}

domain::PatientIdentity IdentityOf(const domain::InstanceRecord& r) {
  return {r.Get(Attribute::PatientID), r.Get(Attribute::IssuerOfPatientID)};
}

void Merge(std::string& stored, const std::string& given, bool overwrite_empty) {
  if (overwrite_empty || !given.empty()) stored = given;
}

}  // namespace

domain::Patient* MemoryIndex::FindPatient(const domain::PatientIdentity& identity) {
  domain::Patient* fallback = nullptr;
  for (auto& p : patients_) {
    if (p.identity.id == identity.id && p.identity.issuer == identity.issuer) return &p;
    if (SamePatient(p.identity, identity) && !fallback) fallback = &p;
  }
  return fallback;
}

void MemoryIndex::ApplyDemographics(const domain::Patient& patient) {
  for (auto& r : records_) {
    if (!SamePatient(IdentityOf(r), patient.identity)) continue;
    r.Set(Attribute::PatientName, patient.name);
    r.Set(Attribute::PatientBirthDate, patient.birth_date);
    r.Set(Attribute::PatientSex, patient.sex);
  }
}

Result<bool> MemoryIndex::UpsertPatient(const domain::Patient& patient, bool overwrite_empty) {
  if (patient.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "patient without an identifier");
  std::lock_guard lock(mutex_);
  bool created = false;
  domain::Patient* stored = FindPatient(patient.identity);
  if (!stored) {
    // Known from instances only?
    auto it = std::find_if(records_.begin(), records_.end(),
                           [&](const auto& r) { return SamePatient(IdentityOf(r), patient.identity); });
    domain::Patient seed;
    seed.identity = it == records_.end() ? patient.identity : IdentityOf(*it);
    if (it != records_.end()) {
      seed.name = it->Get(Attribute::PatientName);
      seed.birth_date = it->Get(Attribute::PatientBirthDate);
      seed.sex = it->Get(Attribute::PatientSex);
    }
    created = it == records_.end();
    patients_.push_back(seed);
    stored = &patients_.back();
  }
  Merge(stored->name, patient.name, overwrite_empty);
  Merge(stored->birth_date, patient.birth_date, overwrite_empty);
  Merge(stored->sex, patient.sex, overwrite_empty);
  ApplyDemographics(*stored);
  return created;
}

Result<domain::MergeOutcome> MemoryIndex::MergePatients(const domain::Patient& surviving,
                                                        const domain::PatientIdentity& merged,
                                                        std::string_view reference) {
  if (surviving.identity.id == merged.id && surviving.identity.issuer == merged.issuer)
    return Fail(ErrorCode::kInvalidArgument, "merge of a patient into itself");
  {
    std::lock_guard lock(mutex_);
    const bool known = FindPatient(merged) ||
                       std::any_of(records_.begin(), records_.end(),
                                   [&](const auto& r) { return SamePatient(IdentityOf(r), merged); }) ||
                       std::any_of(steps_.begin(), steps_.end(),
                                   [&](const auto& s) { return SamePatient(s.patient.identity, merged); });
    if (!known) return Fail(ErrorCode::kNotFound, "patient " + merged.id + "^^^" + merged.issuer + " to merge is not known");
  }
  auto upserted = UpsertPatient(surviving, false);
  if (!upserted) return std::unexpected(upserted.error());
  std::lock_guard lock(mutex_);
  const domain::Patient survivor = *FindPatient(surviving.identity);
  domain::MergeOutcome outcome;
  std::vector<std::string> studies;
  for (auto& r : records_) {
    if (!SamePatient(IdentityOf(r), merged)) continue;
    merged_into_[{r.Get(Attribute::PatientID), r.Get(Attribute::IssuerOfPatientID)}] = survivor.identity;
    r.Set(Attribute::PatientID, survivor.identity.id);
    r.Set(Attribute::IssuerOfPatientID, survivor.identity.issuer);
    r.Set(Attribute::PatientName, survivor.name);
    r.Set(Attribute::PatientBirthDate, survivor.birth_date);
    r.Set(Attribute::PatientSex, survivor.sex);
    if (std::find(studies.begin(), studies.end(), r.Get(Attribute::StudyInstanceUID)) == studies.end())
      studies.push_back(r.Get(Attribute::StudyInstanceUID));
  }
  for (auto& s : steps_) {
    if (!SamePatient(s.patient.identity, merged)) continue;
    s.patient.identity = survivor.identity;
    ++outcome.moved_steps;
  }
  merged_into_[{merged.id, merged.issuer}] = survivor.identity;
  std::erase_if(patients_, [&](const auto& p) { return SamePatient(p.identity, merged); });
  outcome.moved_studies = studies.size();
  outcome.merge_id = ++merges_;
  (void)reference;
  return outcome;
}

Status MemoryIndex::UpsertStep(const domain::ScheduledStep& step) {
  if (step.accession_number.empty()) return Fail(ErrorCode::kInvalidArgument, "scheduled step without an accession number");
  if (step.patient.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "patient without an identifier");
  std::lock_guard lock(mutex_);
  domain::Patient* patient = FindPatient(step.patient.identity);
  if (!patient) {
    patients_.push_back(step.patient);
    patient = &patients_.back();
  } else {  // ADT owns the demographics: only fill what is empty
    if (patient->name.empty()) patient->name = step.patient.name;
    if (patient->birth_date.empty()) patient->birth_date = step.patient.birth_date;
    if (patient->sex.empty()) patient->sex = step.patient.sex;
  }
  domain::ScheduledStep stored = step;
  stored.patient.identity = patient->identity;
  for (auto& s : steps_) {
    if (s.accession_number == step.accession_number && s.step_id == step.step_id) {
      if (stored.study_instance_uid.empty()) stored.study_instance_uid = s.study_instance_uid;
      s = stored;
      return {};
    }
  }
  steps_.push_back(stored);
  return {};
}

Result<std::size_t> MemoryIndex::SetOrderStatus(std::string_view accession_number, std::string_view status) {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (auto& s : steps_) {
    if (s.accession_number != accession_number) continue;
    s.status = status;
    ++count;
  }
  return count;
}

Result<std::vector<domain::ScheduledStep>> MemoryIndex::ListSteps(bool active_only) {
  std::lock_guard lock(mutex_);
  std::vector<domain::ScheduledStep> out;
  for (const auto& s : steps_) {
    if (active_only && (s.status == domain::kStepCanceled || s.status == domain::kStepDiscontinued ||
                        s.status == "COMPLETED"))
      continue;
    domain::ScheduledStep row = s;
    if (auto* p = FindPatient(s.patient.identity)) row.patient = *p;
    out.push_back(std::move(row));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.start_date, a.start_time) < std::tie(b.start_date, b.start_time);
  });
  return out;
}

Status MemoryIndex::RecordMessage(const domain::InboundMessage& message) {
  std::lock_guard lock(mutex_);
  messages_.push_back(message);
  return {};
}

std::vector<domain::InboundMessage> MemoryIndex::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

}  // namespace systole::adapters
