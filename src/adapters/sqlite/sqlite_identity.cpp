// The identity ports (PatientRegistry, OrderBook, MessageLog) of SqliteIndex.
#include <fmt/format.h>

#include "adapters/sqlite/internal/connection.h"
#include "adapters/sqlite/internal/patient_counts.h"
#include "adapters/sqlite/sqlite_index.h"

namespace systole::adapters {

using sqlite::Connection;
using sqlite::RecountPatient;

namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

// Active (not merged) patient rows that are `identity`: the exact issuer first,
// then a row indexed without an issuer (DICOM files often lack one).
Result<std::vector<std::int64_t>> PatientRows(Connection& c, const domain::PatientIdentity& identity) {
  auto stmt = c.Prepare(
      "SELECT pk FROM patients WHERE PatientID = ? AND (IssuerOfPatientID = ? OR IssuerOfPatientID = '') "
      "AND merged_into_pk IS NULL ORDER BY IssuerOfPatientID = ? DESC, pk");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, identity.id).Bind(2, identity.issuer).Bind(3, identity.issuer);
  std::vector<std::int64_t> out;
  while (true) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(stmt->Int(0));
  }
}

enum class UpsertMode {
  kOverwrite,     // every field as given, empty ones too
  kNonEmpty,      // given non-empty fields replace stored ones
  kFillEmpty,     // only stored empty fields are filled
};

// Creates or updates; returns (pk of the patient, created).
Result<std::pair<std::int64_t, bool>> Upsert(Connection& c, const domain::Patient& p, UpsertMode mode) {
  if (p.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "patient without an identifier");
  auto rows = PatientRows(c, p.identity);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) {
    auto stmt = c.Prepare(
        "INSERT INTO patients (PatientID, IssuerOfPatientID, PatientName, PatientBirthDate, PatientSex) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!stmt) return std::unexpected(stmt.error());
    stmt->Bind(1, p.identity.id).Bind(2, p.identity.issuer).Bind(3, p.name).Bind(4, p.birth_date).Bind(5, p.sex);
    SYSTOLE_RETURN_IF_ERROR(stmt->Run());
    return std::pair{c.LastInsertRowId(), true};
  }
  const char* sql =
      mode == UpsertMode::kOverwrite
      ? "UPDATE patients SET PatientName = ?, PatientBirthDate = ?, PatientSex = ? WHERE pk = ?"
      : mode == UpsertMode::kFillEmpty
      ? "UPDATE patients SET PatientName = CASE WHEN PatientName = '' THEN ?1 ELSE PatientName END, "
        "PatientBirthDate = CASE WHEN PatientBirthDate = '' THEN ?2 ELSE PatientBirthDate END, "
        "PatientSex = CASE WHEN PatientSex = '' THEN ?3 ELSE PatientSex END WHERE pk = ?4"
      : "UPDATE patients SET PatientName = CASE WHEN ?1 = '' THEN PatientName ELSE ?1 END, "
        "PatientBirthDate = CASE WHEN ?2 = '' THEN PatientBirthDate ELSE ?2 END, "
        "PatientSex = CASE WHEN ?3 = '' THEN PatientSex ELSE ?3 END WHERE pk = ?4";
  for (auto pk : *rows) {
    auto stmt = c.Prepare(sql);
    if (!stmt) return std::unexpected(stmt.error());
    stmt->Bind(1, p.name).Bind(2, p.birth_date).Bind(3, p.sex).Bind(4, pk);
    SYSTOLE_RETURN_IF_ERROR(stmt->Run());
  }
  return std::pair{rows->front(), false};
}

// pks of `table` rows whose patient_pk is `patient`, comma-separated.
Result<std::pair<std::string, std::size_t>> ChildPks(Connection& c, const char* table, std::int64_t patient) {
  auto stmt = c.Prepare(fmt::format("SELECT pk FROM {} WHERE patient_pk = ? ORDER BY pk", table));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, patient);
  std::string list;
  std::size_t count = 0;
  while (true) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::pair{list, count};
    list += (list.empty() ? "" : ",") + std::to_string(stmt->Int(0));
    ++count;
  }
}

Status Run(Connection& c, const std::string& sql, std::int64_t a, std::int64_t b) {
  auto stmt = c.Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, a).Bind(2, b);
  return stmt->Run();
}

}  // namespace

Result<bool> SqliteIndex::UpsertPatient(const domain::Patient& patient, bool overwrite_empty) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Result<bool> {
    auto done = Upsert(c, patient, overwrite_empty ? UpsertMode::kOverwrite : UpsertMode::kNonEmpty);
    if (!done) return std::unexpected(done.error());
    return done->second;
  });
}

Result<domain::MergeOutcome> SqliteIndex::MergePatients(const domain::Patient& surviving,
                                                        const domain::PatientIdentity& merged,
                                                        std::string_view reference) {
  if (surviving.identity.id == merged.id && surviving.identity.issuer == merged.issuer)
    return Fail(ErrorCode::kInvalidArgument, "merge of a patient into itself");
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Result<domain::MergeOutcome> {
    auto merged_rows = PatientRows(c, merged);
    if (!merged_rows) return std::unexpected(merged_rows.error());
    if (merged_rows->empty())
      return Fail(ErrorCode::kNotFound, fmt::format("patient {}^^^{} to merge is not known", merged.id, merged.issuer));
    auto survivor = Upsert(c, surviving, UpsertMode::kNonEmpty);
    if (!survivor) return std::unexpected(survivor.error());
    const std::int64_t survivor_pk = survivor->first;
    domain::MergeOutcome outcome;
    for (auto merged_pk : *merged_rows) {
      if (merged_pk == survivor_pk) continue;
      auto studies = ChildPks(c, "studies", merged_pk);
      if (!studies) return std::unexpected(studies.error());
      auto steps = ChildPks(c, "scheduled_steps", merged_pk);
      if (!steps) return std::unexpected(steps.error());
      {
        auto stmt = c.Prepare(fmt::format(
            "INSERT INTO patient_merges (surviving_patient_pk, merged_patient_pk, moved_study_pks, moved_step_pks, "
            "previous_merged_into_pk, reference, merged_at) VALUES (?, ?, ?, ?, NULL, ?, {})", kNow));
        if (!stmt) return std::unexpected(stmt.error());
        stmt->Bind(1, survivor_pk).Bind(2, merged_pk).Bind(3, studies->first).Bind(4, steps->first).Bind(5, reference);
        SYSTOLE_RETURN_IF_ERROR(stmt->Run());
        outcome.merge_id = c.LastInsertRowId();
      }
      SYSTOLE_RETURN_IF_ERROR(Run(c, "UPDATE studies SET patient_pk = ?1 WHERE patient_pk = ?2", survivor_pk, merged_pk));
      SYSTOLE_RETURN_IF_ERROR(
          Run(c, "UPDATE scheduled_steps SET patient_pk = ?1 WHERE patient_pk = ?2", survivor_pk, merged_pk));
      SYSTOLE_RETURN_IF_ERROR(Run(c, "UPDATE patients SET merged_into_pk = ?1 WHERE pk = ?2 OR merged_into_pk = ?2",
                                  survivor_pk, merged_pk));
      SYSTOLE_RETURN_IF_ERROR(RecountPatient(c, merged_pk));
      outcome.moved_studies += studies->second;
      outcome.moved_steps += steps->second;
    }
    SYSTOLE_RETURN_IF_ERROR(RecountPatient(c, survivor_pk));
    return outcome;
  });
}

Status SqliteIndex::UpsertStep(const domain::ScheduledStep& s) {
  if (s.accession_number.empty()) return Fail(ErrorCode::kInvalidArgument, "scheduled step without an accession number");
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Status {
    // ADT owns the demographics of a known patient: an order only fills what is empty.
    auto patient = Upsert(c, s.patient, UpsertMode::kFillEmpty);
    if (!patient) return std::unexpected(patient.error());
    auto stmt = c.Prepare(fmt::format(
        "INSERT INTO scheduled_steps (patient_pk, AccessionNumber, ScheduledProcedureStepID, placer_order_number, "
        "filler_order_number, RequestedProcedureID, RequestedProcedureDescription, requested_procedure_code, "
        "StudyInstanceUID, ScheduledProcedureStepDescription, ScheduledStationAETitle, ScheduledStationName, "
        "ScheduledProcedureStepLocation, Modality, ScheduledProcedureStepStartDate, ScheduledProcedureStepStartTime, "
        "ReferringPhysicianName, RequestingPhysician, ScheduledPerformingPhysicianName, "
        "ReasonForTheRequestedProcedure, RequestedProcedurePriority, ScheduledProcedureStepStatus, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, {0}) "
        "ON CONFLICT (AccessionNumber, ScheduledProcedureStepID) DO UPDATE SET patient_pk = ?1, "
        "placer_order_number = ?4, filler_order_number = ?5, RequestedProcedureID = ?6, "
        "RequestedProcedureDescription = ?7, requested_procedure_code = ?8, "
        "StudyInstanceUID = CASE WHEN ?9 = '' THEN StudyInstanceUID ELSE ?9 END, "
        "ScheduledProcedureStepDescription = ?10, ScheduledStationAETitle = ?11, ScheduledStationName = ?12, "
        "ScheduledProcedureStepLocation = ?13, Modality = ?14, ScheduledProcedureStepStartDate = ?15, "
        "ScheduledProcedureStepStartTime = ?16, ReferringPhysicianName = ?17, RequestingPhysician = ?18, "
        "ScheduledPerformingPhysicianName = ?19, ReasonForTheRequestedProcedure = ?20, "
        "RequestedProcedurePriority = ?21, ScheduledProcedureStepStatus = ?22, updated_at = {0}",
        kNow));
    if (!stmt) return std::unexpected(stmt.error());
    stmt->Bind(1, patient->first);
    int i = 2;
    for (const std::string* v :
         {&s.accession_number, &s.step_id, &s.placer_order_number, &s.filler_order_number, &s.requested_procedure_id,
          &s.requested_procedure_description, &s.requested_procedure_code, &s.study_instance_uid, &s.step_description,
          &s.station_ae_titles, &s.station_name, &s.location, &s.modality, &s.start_date, &s.start_time,
          &s.referring_physician, &s.requesting_physician, &s.performing_physician, &s.indication, &s.priority,
          &s.status})
      stmt->Bind(i++, *v);
    return stmt->Run();
  });
}

Result<std::size_t> SqliteIndex::SetOrderStatus(std::string_view accession_number, std::string_view status) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  auto stmt = c.Prepare(fmt::format(
      "UPDATE scheduled_steps SET ScheduledProcedureStepStatus = ?, updated_at = {} WHERE AccessionNumber = ?", kNow));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, status).Bind(2, accession_number);
  SYSTOLE_RETURN_IF_ERROR(stmt->Run());
  return static_cast<std::size_t>(c.Changes());
}

Result<std::vector<domain::ScheduledStep>> SqliteIndex::ListSteps(bool active_only) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(std::string(
      "SELECT p.PatientID, p.IssuerOfPatientID, p.PatientName, p.PatientBirthDate, p.PatientSex, "
      "w.AccessionNumber, w.placer_order_number, w.filler_order_number, w.RequestedProcedureID, "
      "w.RequestedProcedureDescription, w.requested_procedure_code, w.StudyInstanceUID, w.ScheduledProcedureStepID, "
      "w.ScheduledProcedureStepDescription, w.ScheduledStationAETitle, w.ScheduledStationName, "
      "w.ScheduledProcedureStepLocation, w.Modality, w.ScheduledProcedureStepStartDate, "
      "w.ScheduledProcedureStepStartTime, w.ReferringPhysicianName, w.RequestingPhysician, "
      "w.ScheduledPerformingPhysicianName, w.ReasonForTheRequestedProcedure, w.RequestedProcedurePriority, "
      "w.ScheduledProcedureStepStatus, w.updated_at FROM scheduled_steps w JOIN patients p ON w.patient_pk = p.pk") +
      (active_only ? " WHERE w.ScheduledProcedureStepStatus NOT IN ('CANCELED', 'DISCONTINUED', 'COMPLETED')" : "") +
      " ORDER BY w.ScheduledProcedureStepStartDate, w.ScheduledProcedureStepStartTime, w.pk");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<domain::ScheduledStep> out;
  while (true) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    domain::ScheduledStep& s = out.emplace_back();
    int i = 0;
    for (std::string* v :
         {&s.patient.identity.id, &s.patient.identity.issuer, &s.patient.name, &s.patient.birth_date, &s.patient.sex,
          &s.accession_number, &s.placer_order_number, &s.filler_order_number, &s.requested_procedure_id,
          &s.requested_procedure_description, &s.requested_procedure_code, &s.study_instance_uid, &s.step_id,
          &s.step_description, &s.station_ae_titles, &s.station_name, &s.location, &s.modality, &s.start_date,
          &s.start_time, &s.referring_physician, &s.requesting_physician, &s.performing_physician, &s.indication,
          &s.priority, &s.status, &s.updated_at})
      *v = stmt->Text(i++);
  }
}

Status SqliteIndex::RecordMessage(const domain::InboundMessage& m) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(
      "INSERT INTO hl7_messages (received_at, peer, sending_application, sending_facility, message_type, control_id, "
      "ack_code, error, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  int i = 1;
  for (const std::string* v : {&m.received_at, &m.peer, &m.sending_application, &m.sending_facility, &m.message_type,
                               &m.control_id, &m.ack_code, &m.error, &m.raw})
    stmt->Bind(i++, *v);
  return stmt->Run();
}

}  // namespace systole::adapters
