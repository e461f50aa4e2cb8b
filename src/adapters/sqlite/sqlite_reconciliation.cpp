// The reconciliation port (ports::ReconciliationStore) of SqliteIndex.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "adapters/sqlite/internal/connection.h"
#include "adapters/sqlite/internal/patient_counts.h"
#include "adapters/sqlite/sqlite_index.h"

namespace systole::adapters {

using sqlite::Connection;
using sqlite::ReadAll;

namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

constexpr const char* kRecordColumns =
    "StudyInstanceUID, header_PatientID, header_IssuerOfPatientID, header_PatientName, header_PatientBirthDate, "
    "header_PatientSex, AccessionNumber, state, mismatches, order_accession, requested_procedure, indication, "
    "priority, referring_physician, updated_at";

std::string DifferencesJson(const std::vector<domain::IdentityDifference>& differences) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : differences) list.push_back({{"attribute", d.attribute}, {"header", d.header}, {"order", d.order}});
  return list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<domain::IdentityDifference> ParseDifferences(const std::string& text) {
  std::vector<domain::IdentityDifference> out;
  auto list = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!list.is_array()) return out;
  auto member = [](const nlohmann::json& d, const char* key) {
    auto it = d.find(key);
    return it != d.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  for (const auto& d : list)
    if (d.is_object()) out.push_back({member(d, "attribute"), member(d, "header"), member(d, "order")});
  return out;
}

domain::StudyReconciliation ReadRecord(const sqlite::Statement& stmt) {
  domain::StudyReconciliation r;
  r.study_instance_uid = stmt.Text(0);
  r.header_patient = {{stmt.Text(1), stmt.Text(2)}, stmt.Text(3), stmt.Text(4), stmt.Text(5)};
  r.accession_number = stmt.Text(6);
  r.state = stmt.Text(7);
  r.differences = ParseDifferences(stmt.Text(8));
  r.order_accession = stmt.Text(9);
  r.requested_procedure = stmt.Text(10);
  r.indication = stmt.Text(11);
  r.priority = stmt.Text(12);
  r.referring_physician = stmt.Text(13);
  r.updated_at = stmt.Text(14);
  return r;
}

}  // namespace

Result<std::map<std::string, domain::Patient>> SqliteIndex::CorrectedPatients(
    const std::vector<std::string>& study_uids) {
  std::map<std::string, domain::Patient> out;
  if (study_uids.empty()) return out;
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  for (const auto& uid : study_uids) {
    if (out.contains(uid)) continue;
    auto stmt = (*lease)->Prepare(
        "SELECT p.PatientID, p.IssuerOfPatientID, p.PatientName, p.PatientBirthDate, p.PatientSex "
        "FROM study_reconciliation r JOIN studies s ON s.StudyInstanceUID = r.StudyInstanceUID "
        "JOIN patients p ON p.pk = s.patient_pk WHERE r.StudyInstanceUID = ? AND "
        "(p.PatientID <> r.header_PatientID OR p.IssuerOfPatientID <> r.header_IssuerOfPatientID OR "
        "p.PatientName <> r.header_PatientName COLLATE BINARY OR p.PatientBirthDate <> r.header_PatientBirthDate OR "
        "p.PatientSex <> r.header_PatientSex)");
    if (!stmt) return std::unexpected(stmt.error());
    stmt->Bind(1, uid);
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (*row) out[uid] = {{stmt->Text(0), stmt->Text(1)}, stmt->Text(2), stmt->Text(3), stmt->Text(4)};
  }
  return out;
}

Result<std::optional<domain::StudyReconciliation>> SqliteIndex::GetReconciliation(const std::string& study_uid) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(fmt::format("SELECT {} FROM study_reconciliation WHERE StudyInstanceUID = ?",
                                            kRecordColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, study_uid);
  auto rows = ReadAll<domain::StudyReconciliation>(*stmt, ReadRecord);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<domain::StudyReconciliation>{};
  return std::optional<domain::StudyReconciliation>{std::move(rows->front())};
}

Status SqliteIndex::PutReconciliation(const domain::StudyReconciliation& r) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(fmt::format(
      "INSERT INTO study_reconciliation ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, {}) "
      "ON CONFLICT (StudyInstanceUID) DO UPDATE SET AccessionNumber = ?7, state = ?8, mismatches = ?9, "
      "order_accession = ?10, requested_procedure = ?11, indication = ?12, priority = ?13, "
      "referring_physician = ?14, updated_at = excluded.updated_at",
      kRecordColumns, kNow));
  if (!stmt) return std::unexpected(stmt.error());
  const std::string differences = DifferencesJson(r.differences);
  int i = 1;
  for (const std::string* v :
       {&r.study_instance_uid, &r.header_patient.identity.id, &r.header_patient.identity.issuer, &r.header_patient.name,
        &r.header_patient.birth_date, &r.header_patient.sex, &r.accession_number, &r.state, &differences,
        &r.order_accession, &r.requested_procedure, &r.indication, &r.priority, &r.referring_physician})
    stmt->Bind(i++, *v);
  return stmt->Run();
}

Result<std::vector<domain::StudyReconciliation>> SqliteIndex::ListReconciliations(const std::string& state) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(fmt::format(
      "SELECT {} FROM study_reconciliation WHERE state = ? ORDER BY updated_at, StudyInstanceUID", kRecordColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, state);
  return ReadAll<domain::StudyReconciliation>(*stmt, ReadRecord);
}

Status SqliteIndex::AppendAction(const domain::ReconciliationAction& a) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(fmt::format(
      "INSERT INTO reconciliation_log (at, user, action, StudyInstanceUID, before, after) VALUES ({}, ?, ?, ?, ?, ?)",
      kNow));
  if (!stmt) return std::unexpected(stmt.error());
  int i = 1;
  for (const std::string* v : {&a.user, &a.action, &a.study_instance_uid, &a.before, &a.after}) stmt->Bind(i++, *v);
  return stmt->Run();
}

Result<std::vector<domain::ReconciliationAction>> SqliteIndex::ListActions(std::size_t limit) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(
      "SELECT pk, at, user, action, StudyInstanceUID, before, after FROM reconciliation_log ORDER BY pk DESC LIMIT ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, static_cast<std::int64_t>(limit));
  return ReadAll<domain::ReconciliationAction>(*stmt, [](const sqlite::Statement& s) {
    return domain::ReconciliationAction{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6)};
  });
}

Result<domain::Patient> SqliteIndex::StudyPatient(const std::string& study_uid) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(
      "SELECT p.PatientID, p.IssuerOfPatientID, p.PatientName, p.PatientBirthDate, p.PatientSex FROM studies s "
      "JOIN patients p ON p.pk = s.patient_pk WHERE s.StudyInstanceUID = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, study_uid);
  auto rows = ReadAll<domain::Patient>(*stmt, [](const sqlite::Statement& s) {
    return domain::Patient{{s.Text(0), s.Text(1)}, s.Text(2), s.Text(3), s.Text(4)};
  });
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return Fail(ErrorCode::kNotFound, "study " + study_uid + " is not stored");
  return rows->front();
}

Status SqliteIndex::RefileStudy(const std::string& study_uid, const domain::Patient& patient) {
  if (patient.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "patient without an identifier");
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Status {
    std::int64_t study_pk = 0, old_patient = 0;
    {
      auto stmt = c.Prepare("SELECT pk, patient_pk FROM studies WHERE StudyInstanceUID = ?");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->Bind(1, study_uid);
      auto row = stmt->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return Fail(ErrorCode::kNotFound, "study " + study_uid + " is not stored");
      study_pk = stmt->Int(0);
      old_patient = stmt->Int(1);
    }
    std::int64_t target = 0;
    {
      auto stmt = c.Prepare(
          "SELECT COALESCE(merged_into_pk, pk) FROM patients WHERE PatientID = ? AND IssuerOfPatientID = ? "
          "ORDER BY merged_into_pk IS NOT NULL, pk LIMIT 1");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->Bind(1, patient.identity.id).Bind(2, patient.identity.issuer);
      auto row = stmt->Step();
      if (!row) return std::unexpected(row.error());
      if (*row) target = stmt->Int(0);
    }
    if (target == 0) {
      auto stmt = c.Prepare(
          "INSERT INTO patients (PatientID, IssuerOfPatientID, PatientName, PatientBirthDate, PatientSex) "
          "VALUES (?, ?, ?, ?, ?)");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->Bind(1, patient.identity.id).Bind(2, patient.identity.issuer).Bind(3, patient.name)
          .Bind(4, patient.birth_date).Bind(5, patient.sex);
      SYSTOLE_RETURN_IF_ERROR(stmt->Run());
      target = c.LastInsertRowId();
    } else {
      auto stmt = c.Prepare(
          "UPDATE patients SET PatientName = CASE WHEN ?1 = '' THEN PatientName ELSE ?1 END, "
          "PatientBirthDate = CASE WHEN ?2 = '' THEN PatientBirthDate ELSE ?2 END, "
          "PatientSex = CASE WHEN ?3 = '' THEN PatientSex ELSE ?3 END WHERE pk = ?4");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->Bind(1, patient.name).Bind(2, patient.birth_date).Bind(3, patient.sex).Bind(4, target);
      SYSTOLE_RETURN_IF_ERROR(stmt->Run());
    }
    {
      auto stmt = c.Prepare("UPDATE studies SET patient_pk = ?1 WHERE pk = ?2");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->Bind(1, target).Bind(2, study_pk);
      SYSTOLE_RETURN_IF_ERROR(stmt->Run());
    }
    SYSTOLE_RETURN_IF_ERROR(sqlite::RecountPatient(c, old_patient));
    return sqlite::RecountPatient(c, target);
  });
}

Result<std::vector<domain::DuplicateCandidates>> SqliteIndex::DuplicatePatients() {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  // Normalised name: upper case, spaces removed, trailing '^' trimmed.
  auto stmt = (*lease)->Prepare(
      "WITH n AS (SELECT PatientID, IssuerOfPatientID, PatientName, PatientBirthDate, PatientSex, "
      "RTRIM(UPPER(REPLACE(PatientName, ' ', '')), '^') AS key FROM patients "
      "WHERE merged_into_pk IS NULL AND PatientName <> '' AND PatientBirthDate <> '') "
      "SELECT n.key, n.PatientBirthDate, n.PatientID, n.IssuerOfPatientID, n.PatientName, n.PatientSex FROM n "
      "WHERE (SELECT COUNT(DISTINCT m.PatientID || '^' || m.IssuerOfPatientID) FROM n m "
      "WHERE m.key = n.key AND m.PatientBirthDate = n.PatientBirthDate) > 1 "
      "ORDER BY n.key, n.PatientBirthDate, n.PatientID, n.IssuerOfPatientID");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<domain::DuplicateCandidates> out;
  std::string last_key;
  while (true) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    const std::string key = stmt->Text(0) + "|" + stmt->Text(1);
    if (out.empty() || key != last_key) out.push_back({stmt->Text(4), stmt->Text(1), {}});
    last_key = key;
    out.back().patients.push_back({{stmt->Text(2), stmt->Text(3)}, stmt->Text(4), stmt->Text(1), stmt->Text(5)});
  }
}

}  // namespace systole::adapters
