// SqliteIndex: the index ports on an embedded SQLite database (WAL mode,
// synchronous=FULL, migrations applied at open, prepared statements only).
// Also the MeasurementStore (table `measurements`) and the ReportStore
// (tables `reports`, `report_versions`), same database.
// Thread-safe: a bounded pool of connections serves concurrent callers.
#pragma once

#include <filesystem>
#include <memory>

#include "ports/identity_index.h"
#include "ports/measurement_store.h"
#include "ports/reconciliation.h"
#include "ports/patient_directory.h"
#include "ports/report_store.h"
#include "ports/study_index.h"

namespace systole::adapters {

namespace sqlite { class ConnectionPool; }

class SqliteIndex final : public ports::InstanceIndex,
                          public ports::StudyQuery,
                          public ports::PatientRegistry,
                          public ports::OrderBook,
                          public ports::MessageLog,
                          public ports::MeasurementStore,
                          public ports::ReconciliationStore,
                          public ports::PatientDirectory,
                          public ports::ReportStore {
 public:
  // Opens (creating if needed) the database at `path` and migrates it.
  static Result<std::unique_ptr<SqliteIndex>> Open(const std::filesystem::path& path, std::size_t max_connections);
  ~SqliteIndex() override;

  Result<ports::AddResult> AddInstance(const domain::InstanceRecord& record, bool replace) override;
  Status ForEachInstance(const std::function<void(const domain::StoredInstance&)>& visit) override;
  Result<std::vector<domain::QueryRow>> Find(const domain::Query& query) override;
  Result<std::vector<domain::StoredInstance>> Locate(const domain::Query& query) override;
  Status ReplaceMeasurements(const std::string& sr_sop_instance_uid,
                             const std::vector<domain::Measurement>& measurements) override;
  Result<std::vector<domain::Measurement>> StudyMeasurements(const std::string& study_instance_uid) override;

  // Identity ports (sqlite_identity.cpp).
  Result<bool> UpsertPatient(const domain::Patient& patient, bool overwrite_empty) override;
  Result<domain::MergeOutcome> MergePatients(const domain::Patient& surviving, const domain::PatientIdentity& merged,
                                             std::string_view reference) override;
  Status UpsertStep(const domain::ScheduledStep& step) override;
  Result<std::size_t> SetOrderStatus(std::string_view accession_number, std::string_view status) override;
  Result<std::vector<domain::ScheduledStep>> ListSteps(bool active_only) override;
  Status RecordMessage(const domain::InboundMessage& message) override;
  // PatientDirectory (sqlite_patients.cpp).
  Result<std::vector<domain::Patient>> FindPatients(const ports::PatientLookup& lookup) override;

  // Reconciliation port (sqlite_reconciliation.cpp).
  Result<std::map<std::string, domain::Patient>> CorrectedPatients(const std::vector<std::string>& study_uids) override;
  Result<std::optional<domain::StudyReconciliation>> GetReconciliation(const std::string& study_uid) override;
  Status PutReconciliation(const domain::StudyReconciliation& record) override;
  Result<std::vector<domain::StudyReconciliation>> ListReconciliations(const std::string& state) override;
  Status AppendAction(const domain::ReconciliationAction& action) override;
  Result<std::vector<domain::ReconciliationAction>> ListActions(std::size_t limit) override;
  Result<domain::Patient> StudyPatient(const std::string& study_uid) override;
  Status RefileStudy(const std::string& study_uid, const domain::Patient& patient) override;
  Result<std::vector<domain::DuplicateCandidates>> DuplicatePatients() override;

  // Report store (sqlite_reports.cpp).
  Status CreateReport(const ports::ReportRow& row) override;
  Result<ports::ReportRow> GetReport(const std::string& id) override;
  Result<std::vector<ports::ReportRow>> StudyReports(const std::string& study_instance_uid) override;
  Status UpdateReport(const ports::ReportRow& row, const ports::SignedVersion* signed_version) override;
  Result<std::vector<ports::SignedVersion>> Versions(const std::string& report_id) override;
  Result<std::vector<ports::SignedVersion>> LatestSigned(const ports::ReportFilter& filter) override;

 private:
  explicit SqliteIndex(std::unique_ptr<sqlite::ConnectionPool> pool);
  std::unique_ptr<sqlite::ConnectionPool> pool_;
};

}  // namespace systole::adapters
