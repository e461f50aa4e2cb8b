// SqliteIndex as ports::ReportStore: the reports and report_versions tables
// (schema version 4) in the index database.
#include <fmt/format.h>

#include "adapters/sqlite/internal/connection.h"
#include "adapters/sqlite/sqlite_index.h"

namespace systole::adapters {
namespace {

using sqlite::ReadAll;
using sqlite::Statement;

constexpr const char* kReportColumns = "id, study_instance_uid, template_id, status, revision, body, updated_at";
constexpr const char* kVersionColumns =
    "report_id, version, status, signer, signed_at, content_sha256, patient_id, patient_issuer, "
    "study_instance_uid, accession_number, document";

ports::ReportRow ReadReport(const Statement& stmt) {
  return {stmt.Text(0), stmt.Text(1), stmt.Text(2), stmt.Text(3), stmt.Int(4), stmt.Text(5), stmt.Text(6)};
}

ports::SignedVersion ReadVersion(const Statement& stmt) {
  ports::SignedVersion v;
  v.report_id = stmt.Text(0);
  v.version = static_cast<int>(stmt.Int(1));
  v.status = stmt.Text(2);
  v.signer = stmt.Text(3);
  v.signed_at = stmt.Text(4);
  v.content_sha256 = stmt.Text(5);
  v.patient_id = stmt.Text(6);
  v.patient_issuer = stmt.Text(7);
  v.study_instance_uid = stmt.Text(8);
  v.accession_number = stmt.Text(9);
  v.document = stmt.Text(10);
  return v;
}

}  // namespace

Status SqliteIndex::CreateReport(const ports::ReportRow& row) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  sqlite::Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Status {
    {
      auto exists = c.Prepare("SELECT 1 FROM reports WHERE id = ?");
      if (!exists) return std::unexpected(exists.error());
      exists->Bind(1, row.id);
      auto found = exists->Step();
      if (!found) return std::unexpected(found.error());
      if (*found) return Fail(ErrorCode::kAlreadyExists, "report " + row.id + " exists");
    }
    auto stmt = c.Prepare(
        "INSERT INTO reports (id, study_instance_uid, template_id, status, revision, body, created_pk, updated_at) "
        "VALUES (?, ?, ?, ?, 1, ?, (SELECT COALESCE(MAX(created_pk), 0) + 1 FROM reports), ?)");
    if (!stmt) return std::unexpected(stmt.error());
    stmt->Bind(1, row.id).Bind(2, row.study_instance_uid).Bind(3, row.template_id).Bind(4, row.status);
    stmt->Bind(5, row.body).Bind(6, row.updated_at);
    return stmt->Run();
  });
}

Result<ports::ReportRow> SqliteIndex::GetReport(const std::string& id) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(fmt::format("SELECT {} FROM reports WHERE id = ?", kReportColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, id);
  auto rows = ReadAll<ports::ReportRow>(*stmt, ReadReport);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return Fail(ErrorCode::kNotFound, "no report " + id);
  return rows->front();
}

Result<std::vector<ports::ReportRow>> SqliteIndex::StudyReports(const std::string& study_instance_uid) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(
      fmt::format("SELECT {} FROM reports WHERE study_instance_uid = ? ORDER BY created_pk", kReportColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, study_instance_uid);
  return ReadAll<ports::ReportRow>(*stmt, ReadReport);
}

Status SqliteIndex::UpdateReport(const ports::ReportRow& row, const ports::SignedVersion* signed_version) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  sqlite::Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Status {
    {
      auto current = c.Prepare("SELECT revision FROM reports WHERE id = ?");
      if (!current) return std::unexpected(current.error());
      current->Bind(1, row.id);
      auto found = current->Step();
      if (!found) return std::unexpected(found.error());
      if (!*found) return Fail(ErrorCode::kNotFound, "no report " + row.id);
      if (current->Int(0) != row.revision)
        return Fail(ErrorCode::kAlreadyExists, "report " + row.id + " was changed meanwhile");
    }
    if (signed_version) {
      auto taken = c.Prepare("SELECT 1 FROM report_versions WHERE report_id = ? AND version = ?");
      if (!taken) return std::unexpected(taken.error());
      taken->Bind(1, row.id).Bind(2, std::int64_t{signed_version->version});
      auto found = taken->Step();
      if (!found) return std::unexpected(found.error());
      if (*found)
        return Fail(ErrorCode::kAlreadyExists,
                    fmt::format("report {} already has a signed version {}", row.id, signed_version->version));
    }
    {
      auto stmt = c.Prepare(
          "UPDATE reports SET status = ?, template_id = ?, revision = revision + 1, body = ?, updated_at = ? "
          "WHERE id = ?");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->Bind(1, row.status).Bind(2, row.template_id).Bind(3, row.body).Bind(4, row.updated_at).Bind(5, row.id);
      SYSTOLE_RETURN_IF_ERROR(stmt->Run());
    }
    if (!signed_version) return {};
    const auto& v = *signed_version;
    auto stmt = c.Prepare(fmt::format("INSERT INTO report_versions ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                      kVersionColumns));
    if (!stmt) return std::unexpected(stmt.error());
    stmt->Bind(1, row.id).Bind(2, std::int64_t{v.version}).Bind(3, v.status).Bind(4, v.signer).Bind(5, v.signed_at);
    stmt->Bind(6, v.content_sha256).Bind(7, v.patient_id).Bind(8, v.patient_issuer).Bind(9, v.study_instance_uid);
    stmt->Bind(10, v.accession_number).Bind(11, v.document);
    return stmt->Run();
  });
}

Result<std::vector<ports::SignedVersion>> SqliteIndex::Versions(const std::string& report_id) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(
      fmt::format("SELECT {} FROM report_versions WHERE report_id = ? ORDER BY version", kVersionColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, report_id);
  return ReadAll<ports::SignedVersion>(*stmt, ReadVersion);
}

Result<std::vector<ports::SignedVersion>> SqliteIndex::LatestSigned(const ports::ReportFilter& filter) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  // Empty parameters match everything; the filter applies to the latest version only.
  auto stmt = (*lease)->Prepare(fmt::format(
      "SELECT {} FROM report_versions v WHERE version = (SELECT MAX(version) FROM report_versions "
      "WHERE report_id = v.report_id) AND (?1 = '' OR report_id = ?1) AND (?2 = '' OR patient_id = ?2) "
      "AND (?2 = '' OR ?3 = '' OR patient_issuer = ?3) AND (?4 = '' OR study_instance_uid = ?4) "
      "AND (?5 = '' OR accession_number = ?5) ORDER BY signed_at DESC",
      kVersionColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, filter.report_id).Bind(2, filter.patient_id).Bind(3, filter.patient_issuer);
  stmt->Bind(4, filter.study_instance_uid).Bind(5, filter.accession_number);
  return ReadAll<ports::SignedVersion>(*stmt, ReadVersion);
}

}  // namespace systole::adapters
