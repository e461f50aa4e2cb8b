#include "adapters/sqlite/sqlite_index.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "adapters/sqlite/internal/connection.h"
#include "adapters/sqlite/internal/query_sql.h"
#include "adapters/sqlite/internal/schema.h"

namespace systole::adapters {

using domain::Attribute;
using domain::Level;
using sqlite::Connection;

namespace {

// Attributes stored in the record of `level`, in schema order (no derived ones).
std::vector<Attribute> StoredAttributes(Level level) {
  std::vector<Attribute> out;
  for (const auto& info : domain::AllAttributes())
    if (info.level == level && !info.derived) out.push_back(info.attribute);
  return out;
}

// INSERT INTO <table> (parent_column, A, B, ...) VALUES (?, ?, ?, ...)
std::string InsertSql(const char* table, const char* parent_column, const std::vector<Attribute>& attributes,
                      const char* extra_columns = "", int extra_count = 0) {
  std::string columns = parent_column, values = "?";
  if (columns.empty()) values.clear();
  for (auto a : attributes) {
    columns += (columns.empty() ? "" : ", ") + std::string(domain::Info(a).keyword);
    values += values.empty() ? "?" : ", ?";
  }
  columns += extra_columns;
  for (int i = 0; i < extra_count; ++i) values += ", ?";
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", table, columns, values);
}

Result<std::optional<std::int64_t>> LookupPk(Connection& c, const std::string& sql,
                                             std::initializer_list<std::string_view> keys,
                                             std::int64_t* parent_pk = nullptr) {
  auto stmt = c.Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  int index = 1;
  for (auto key : keys) stmt->Bind(index++, key);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::int64_t>{};
  if (parent_pk) *parent_pk = stmt->Int(1);
  return std::optional<std::int64_t>{stmt->Int(0)};
}

Result<std::int64_t> InsertRecord(Connection& c, const char* table, const char* parent_column,
                                  std::optional<std::int64_t> parent, const domain::InstanceRecord& record,
                                  Level level) {
  const auto attributes = StoredAttributes(level);
  auto stmt = c.Prepare(InsertSql(table, parent_column, attributes));
  if (!stmt) return std::unexpected(stmt.error());
  int index = 1;
  if (parent) stmt->Bind(index++, *parent);
  for (auto a : attributes) stmt->Bind(index++, record.Get(a));
  SYSTOLE_RETURN_IF_ERROR(stmt->Run());
  return c.LastInsertRowId();
}

Status Execute(Connection& c, const std::string& sql, std::initializer_list<std::string_view> text_params,
               std::int64_t pk) {
  auto stmt = c.Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  int index = 1;
  for (auto p : text_params) stmt->Bind(index++, p);
  stmt->Bind(index, pk);
  return stmt->Run();
}

std::string DisplayMultiValue(std::string stored) {
  // "\US\SR\" -> "US\SR"
  while (!stored.empty() && stored.front() == '\\') stored.erase(stored.begin());
  while (!stored.empty() && stored.back() == '\\') stored.pop_back();
  return stored;
}

constexpr const char* kLocateColumns =
    "i.SOPInstanceUID, i.SOPClassUID, i.TransferSyntaxUID, s.StudyInstanceUID, r.SeriesInstanceUID, "
    "i.blob_key, i.blob_size, i.blob_hash";

domain::StoredInstance ReadStored(const sqlite::Statement& stmt) {
  return domain::StoredInstance{stmt.Text(0), stmt.Text(1), stmt.Text(2), stmt.Text(3), stmt.Text(4),
                                domain::BlobRef{stmt.Text(5), static_cast<std::uint64_t>(stmt.Int(6)), stmt.Text(7)}};
}

}  // namespace

SqliteIndex::SqliteIndex(std::unique_ptr<sqlite::ConnectionPool> pool) : pool_(std::move(pool)) {}
SqliteIndex::~SqliteIndex() = default;

Result<std::unique_ptr<SqliteIndex>> SqliteIndex::Open(const std::filesystem::path& path, std::size_t max_connections) {
  auto pool = std::make_unique<sqlite::ConnectionPool>(path, std::max<std::size_t>(max_connections, 2));
  {
    auto lease = pool->Acquire();
    if (!lease) return std::unexpected(lease.error());
    SYSTOLE_RETURN_IF_ERROR(sqlite::Migrate(**lease));
  }
  return std::unique_ptr<SqliteIndex>(new SqliteIndex(std::move(pool)));
}

Result<ports::AddResult> SqliteIndex::AddInstance(const domain::InstanceRecord& record, bool replace) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Result<ports::AddResult> {
    const std::string& sop = record.Get(Attribute::SOPInstanceUID);
    std::optional<domain::BlobRef> previous;
    std::int64_t existing_series_pk = 0;
    std::int64_t existing_pk = 0;
    {
      auto stmt = c.Prepare("SELECT pk, series_pk, blob_key, blob_size, blob_hash FROM instances WHERE SOPInstanceUID = ?");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->Bind(1, sop);
      auto row = stmt->Step();
      if (!row) return std::unexpected(row.error());
      if (*row) {
        existing_pk = stmt->Int(0);
        existing_series_pk = stmt->Int(1);
        previous = domain::BlobRef{stmt->Text(2), static_cast<std::uint64_t>(stmt->Int(3)), stmt->Text(4)};
      }
    }
    if (previous && !replace) return ports::AddResult{ports::AddOutcome::kDuplicate, previous};

    // Patient (identified by PatientID + IssuerOfPatientID).
    const std::string& patient_id = record.Get(Attribute::PatientID);
    const std::string& issuer = record.Get(Attribute::IssuerOfPatientID);
    auto patient = LookupPk(c,
        "SELECT COALESCE(merged_into_pk, pk) FROM patients WHERE PatientID = ? AND IssuerOfPatientID = ? AND "
        "(PatientID <> '' OR (PatientName = ? COLLATE BINARY AND PatientBirthDate = ?))",
        {patient_id, issuer, record.Get(Attribute::PatientName), record.Get(Attribute::PatientBirthDate)});
    if (!patient) return std::unexpected(patient.error());
    bool new_patient = !patient->has_value();
    std::int64_t patient_pk = 0;
    if (new_patient) {
      auto pk = InsertRecord(c, "patients", "", std::nullopt, record, Level::kPatient);
      if (!pk) return std::unexpected(pk.error());
      patient_pk = *pk;
    } else {
      patient_pk = **patient;
    }

    // Study: must belong to this patient.
    const std::string& study_uid = record.Get(Attribute::StudyInstanceUID);
    std::int64_t study_owner = 0;
    auto study = LookupPk(c, "SELECT pk, patient_pk FROM studies WHERE StudyInstanceUID = ?", {study_uid}, &study_owner);
    if (!study) return std::unexpected(study.error());
    bool new_study = !study->has_value();
    std::int64_t study_pk = 0;
    if (new_study) {
      auto pk = InsertRecord(c, "studies", "patient_pk", patient_pk, record, Level::kStudy);
      if (!pk) return std::unexpected(pk.error());
      study_pk = *pk;
    } else if (study_owner != patient_pk) {
      return Fail(ErrorCode::kInvalidArgument, "inconsistent: study " + study_uid +
                                                   " is already stored for another patient (PatientID/Issuer differ)");
    } else {
      study_pk = **study;
    }

    // Series: must belong to this study.
    const std::string& series_uid = record.Get(Attribute::SeriesInstanceUID);
    std::int64_t series_owner = 0;
    auto series = LookupPk(c, "SELECT pk, study_pk FROM series WHERE SeriesInstanceUID = ?", {series_uid}, &series_owner);
    if (!series) return std::unexpected(series.error());
    bool new_series = !series->has_value();
    std::int64_t series_pk = 0;
    if (new_series) {
      auto pk = InsertRecord(c, "series", "study_pk", study_pk, record, Level::kSeries);
      if (!pk) return std::unexpected(pk.error());
      series_pk = *pk;
    } else if (series_owner != study_pk) {
      return Fail(ErrorCode::kInvalidArgument,
                  "inconsistent: series " + series_uid + " is already stored in another study");
    } else {
      series_pk = **series;
    }

    const auto instance_attributes = StoredAttributes(Level::kInstance);
    if (previous) {
      if (existing_series_pk != series_pk)
        return Fail(ErrorCode::kInvalidArgument, "inconsistent: instance " + sop + " is already stored in another series");
      std::string sql = "UPDATE instances SET ";
      for (auto a : instance_attributes) sql += std::string(domain::Info(a).keyword) + " = ?, ";
      sql += "blob_key = ?, blob_size = ?, blob_hash = ?, received_at = ?, source = ? WHERE pk = ?";
      auto stmt = c.Prepare(sql);
      if (!stmt) return std::unexpected(stmt.error());
      int index = 1;
      for (auto a : instance_attributes) stmt->Bind(index++, record.Get(a));
      stmt->Bind(index++, record.blob.key).Bind(index++, static_cast<std::int64_t>(record.blob.size));
      stmt->Bind(index++, record.blob.hash).Bind(index++, record.received_at).Bind(index++, record.source);
      stmt->Bind(index, existing_pk);
      SYSTOLE_RETURN_IF_ERROR(stmt->Run());
      return ports::AddResult{ports::AddOutcome::kReplaced, previous};
    }

    {
      auto stmt = c.Prepare(InsertSql("instances", "series_pk", instance_attributes,
                                      ", blob_key, blob_size, blob_hash, received_at, source", 5));
      if (!stmt) return std::unexpected(stmt.error());
      int index = 1;
      stmt->Bind(index++, series_pk);
      for (auto a : instance_attributes) stmt->Bind(index++, record.Get(a));
      stmt->Bind(index++, record.blob.key).Bind(index++, static_cast<std::int64_t>(record.blob.size));
      stmt->Bind(index++, record.blob.hash).Bind(index++, record.received_at).Bind(index++, record.source);
      SYSTOLE_RETURN_IF_ERROR(stmt->Run());
    }

    // Derived values.
    const std::string modality = "\\" + record.Get(Attribute::Modality) + "\\";
    const std::string sop_class = "\\" + record.Get(Attribute::SOPClassUID) + "\\";
    SYSTOLE_RETURN_IF_ERROR(Execute(c,
        "UPDATE series SET NumberOfSeriesRelatedInstances = NumberOfSeriesRelatedInstances + 1 WHERE pk = ?", {},
        series_pk));
    SYSTOLE_RETURN_IF_ERROR(Execute(c,
        "UPDATE studies SET NumberOfStudyRelatedInstances = NumberOfStudyRelatedInstances + 1, "
        "NumberOfStudyRelatedSeries = NumberOfStudyRelatedSeries + CAST(? AS INTEGER), "
        "ModalitiesInStudy = CASE WHEN ? = '\\\\' OR instr(ModalitiesInStudy, ?) > 0 THEN ModalitiesInStudy "
        "ELSE ModalitiesInStudy || substr(?, 2) END, "
        "SOPClassesInStudy = CASE WHEN instr(SOPClassesInStudy, ?) > 0 THEN SOPClassesInStudy "
        "ELSE SOPClassesInStudy || substr(?, 2) END WHERE pk = ?",
        {new_series ? "1" : "0", modality, modality, modality, sop_class, sop_class}, study_pk));
    SYSTOLE_RETURN_IF_ERROR(Execute(c,
        "UPDATE patients SET NumberOfPatientRelatedInstances = NumberOfPatientRelatedInstances + 1, "
        "NumberOfPatientRelatedSeries = NumberOfPatientRelatedSeries + CAST(? AS INTEGER), "
        "NumberOfPatientRelatedStudies = NumberOfPatientRelatedStudies + CAST(? AS INTEGER) WHERE pk = ?",
        {new_series ? "1" : "0", new_study ? "1" : "0"}, patient_pk));
    return ports::AddResult{ports::AddOutcome::kAdded, std::nullopt};
  });
}

Result<std::vector<domain::QueryRow>> SqliteIndex::Find(const domain::Query& query) {
  auto where = sqlite::WhereClause(query, query.level);
  if (!where) return std::unexpected(where.error());
  std::vector<Attribute> selected;
  std::string columns;
  for (const auto& info : domain::AllAttributes()) {
    if (static_cast<int>(info.level) > static_cast<int>(query.level)) continue;
    selected.push_back(info.attribute);
    columns += (columns.empty() ? "" : ", ") + sqlite::Column(info.attribute);
  }
  const char* order = "";
  switch (query.level) {
    case Level::kPatient: order = " ORDER BY p.PatientName, p.pk"; break;
    case Level::kStudy: order = " ORDER BY s.StudyDate DESC, s.StudyTime DESC, s.pk"; break;
    case Level::kSeries: order = " ORDER BY CAST(r.SeriesNumber AS INTEGER), r.pk"; break;
    case Level::kInstance: order = " ORDER BY CAST(i.InstanceNumber AS INTEGER), i.pk"; break;
  }
  std::string sql = "SELECT " + columns + " FROM " + sqlite::FromClause(query.level) + where->where + order +
                    " LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)";
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  int index = 1;
  for (const auto& p : where->params) stmt->Bind(index++, p);
  stmt->Bind(index++, query.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(query.limit));
  stmt->Bind(index, static_cast<std::int64_t>(query.offset));
  std::vector<domain::QueryRow> rows;
  while (true) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    domain::QueryRow& out = rows.emplace_back();
    for (std::size_t col = 0; col < selected.size(); ++col) {
      std::string value = stmt->Text(static_cast<int>(col));
      if (domain::Info(selected[col]).kind == domain::ValueKind::kMultiText) value = DisplayMultiValue(std::move(value));
      out[static_cast<std::size_t>(selected[col])] = std::move(value);
    }
  }
  return rows;
}

Result<std::vector<domain::StoredInstance>> SqliteIndex::Locate(const domain::Query& query) {
  auto where = sqlite::WhereClause(query, Level::kInstance);
  if (!where) return std::unexpected(where.error());
  std::string sql = std::string("SELECT ") + kLocateColumns + " FROM " + sqlite::FromClause(Level::kInstance) +
                    where->where + " ORDER BY s.pk, CAST(r.SeriesNumber AS INTEGER), r.pk, "
                    "CAST(i.InstanceNumber AS INTEGER), i.pk";
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  int index = 1;
  for (const auto& p : where->params) stmt->Bind(index++, p);
  std::vector<domain::StoredInstance> out;
  while (true) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(ReadStored(*stmt));
  }
  return out;
}

Status SqliteIndex::ForEachInstance(const std::function<void(const domain::StoredInstance&)>& visit) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(std::string("SELECT ") + kLocateColumns + " FROM " +
                                sqlite::FromClause(Level::kInstance));
  if (!stmt) return std::unexpected(stmt.error());
  while (true) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    visit(ReadStored(*stmt));
  }
}

}  // namespace systole::adapters
