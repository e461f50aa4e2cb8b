// MemoryIndex: an in-memory fake of the index ports for unit tests. Same
// contract as the SQLite adapter (it passes the same contract suite), with
// matching done by domain::Matches — the reference semantics.
#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "ports/identity_index.h"
#include "ports/patient_directory.h"
#include "ports/study_index.h"

namespace systole::adapters {

class MemoryIndex final : public ports::InstanceIndex,
                          public ports::StudyQuery,
                          public ports::PatientRegistry,
                          public ports::OrderBook,
                          public ports::MessageLog,
                          public ports::PatientDirectory {
 public:
  Result<ports::AddResult> AddInstance(const domain::InstanceRecord& record, bool replace) override;
  Status ForEachInstance(const std::function<void(const domain::StoredInstance&)>& visit) override;
  Result<std::vector<domain::QueryRow>> Find(const domain::Query& query) override;
  Result<std::vector<domain::StoredInstance>> Locate(const domain::Query& query) override;

  // Identity ports (memory_identity.cpp).
  Result<bool> UpsertPatient(const domain::Patient& patient, bool overwrite_empty) override;
  Result<domain::MergeOutcome> MergePatients(const domain::Patient& surviving, const domain::PatientIdentity& merged,
                                             std::string_view reference) override;
  Status UpsertStep(const domain::ScheduledStep& step) override;
  Result<std::size_t> SetOrderStatus(std::string_view accession_number, std::string_view status) override;
  Result<std::vector<domain::ScheduledStep>> ListSteps(bool active_only) override;
  Status RecordMessage(const domain::InboundMessage& message) override;
  std::vector<domain::InboundMessage> messages() const;
  Result<std::vector<domain::Patient>> FindPatients(const ports::PatientLookup& lookup) override;  // memory_patients.cpp

 private:
  // Caller holds mutex_.
  domain::Patient* FindPatient(const domain::PatientIdentity& identity);
  void ApplyDemographics(const domain::Patient& patient);

  mutable std::mutex mutex_;
  std::vector<domain::InstanceRecord> records_;
  std::vector<domain::Patient> patients_;                    // demographics known from ADT/orders/instances
  std::vector<domain::ScheduledStep> steps_;
  std::map<std::pair<std::string, std::string>, domain::PatientIdentity> merged_into_;
  std::int64_t merges_ = 0;
  std::vector<domain::InboundMessage> messages_;
};

}  // namespace systole::adapters
