// SqliteIndex as ports::MeasurementStore: the measurements table (schema
// version 2) in the index database.
#include <fmt/format.h>

#include <array>

#include "adapters/sqlite/internal/connection.h"
#include "adapters/sqlite/sqlite_index.h"

namespace systole::adapters {
namespace {

using sqlite::Statement;

// The optional code columns, in table order: name prefix and member.
using OptionalCode = std::optional<domain::Code> domain::Measurement::*;
struct CodeColumn {
  const char* prefix;
  OptionalCode member;
};
const std::array<CodeColumn, 11> kCodeColumns{{
    {"qualifier", &domain::Measurement::qualifier},
    {"derivation", &domain::Measurement::derivation},
    {"selection", &domain::Measurement::selection_status},
    {"site", &domain::Measurement::finding_site},
    {"laterality", &domain::Measurement::laterality},
    {"phase", &domain::Measurement::cardiac_phase},
    {"image_mode", &domain::Measurement::image_mode},
    {"image_view", &domain::Measurement::image_view},
    {"method", &domain::Measurement::method},
    {"flow_direction", &domain::Measurement::flow_direction},
    {"stage", &domain::Measurement::stage},
}};

constexpr const char* kFixedColumns =
    "sr_sop_instance_uid, sr_sop_class_uid, study_instance_uid, series_instance_uid, ordinal, "
    "concept_code, concept_scheme, concept_meaning, canonical_code, canonical_scheme, "
    "value, unit_code, unit_scheme, unit_meaning, canonical_value, canonical_unit, "
    "image_sop_class_uid, image_sop_instance_uid, image_frames, source, observer, manufacturer";
constexpr int kFixedCount = 22;

std::string Columns() {
  std::string columns = kFixedColumns;
  for (const auto& c : kCodeColumns) columns += fmt::format(", {0}_code, {0}_scheme, {0}_meaning", c.prefix);
  return columns;
}

void BindOptional(Statement& stmt, int index, const std::optional<std::string>& text) {
  if (text)
    stmt.Bind(index, *text);
  else
    stmt.BindNull(index);
}

std::optional<std::string> ReadOptional(const Statement& stmt, int column) {
  if (stmt.IsNull(column)) return std::nullopt;
  return stmt.Text(column);
}

void BindRow(Statement& stmt, const domain::Measurement& m) {
  int i = 1;
  stmt.Bind(i++, m.sr_sop_instance_uid).Bind(i++, m.sr_sop_class_uid).Bind(i++, m.study_instance_uid);
  stmt.Bind(i++, m.series_instance_uid).Bind(i++, static_cast<std::int64_t>(m.ordinal));
  stmt.Bind(i++, m.concept_name.value).Bind(i++, m.concept_name.scheme).Bind(i++, m.concept_name.meaning);
  stmt.Bind(i++, m.canonical_concept.value).Bind(i++, m.canonical_concept.scheme);
  BindOptional(stmt, i++, m.value);
  stmt.Bind(i++, m.unit.value).Bind(i++, m.unit.scheme).Bind(i++, m.unit.meaning);
  BindOptional(stmt, i++, m.canonical_value);
  stmt.Bind(i++, m.canonical_unit);
  if (m.image) {
    stmt.Bind(i++, m.image->sop_class_uid).Bind(i++, m.image->sop_instance_uid).Bind(i++, m.image->frames);
  } else {
    stmt.BindNull(i++).BindNull(i++).BindNull(i++);
  }
  stmt.Bind(i++, domain::SourceName(m.source)).Bind(i++, m.observer).Bind(i++, m.manufacturer);
  for (const auto& c : kCodeColumns) {
    const auto& code = m.*(c.member);
    if (code) {
      stmt.Bind(i++, code->value).Bind(i++, code->scheme).Bind(i++, code->meaning);
    } else {
      stmt.BindNull(i++).BindNull(i++).BindNull(i++);
    }
  }
}

domain::Measurement ReadRow(const Statement& stmt) {
  domain::Measurement m;
  int i = 0;
  m.sr_sop_instance_uid = stmt.Text(i++);
  m.sr_sop_class_uid = stmt.Text(i++);
  m.study_instance_uid = stmt.Text(i++);
  m.series_instance_uid = stmt.Text(i++);
  m.ordinal = static_cast<int>(stmt.Int(i++));
  m.concept_name.value = stmt.Text(i++);
  m.concept_name.scheme = stmt.Text(i++);
  m.concept_name.meaning = stmt.Text(i++);
  m.canonical_concept.value = stmt.Text(i++);
  m.canonical_concept.scheme = stmt.Text(i++);
  m.canonical_concept.meaning = m.concept_name.meaning;
  m.value = ReadOptional(stmt, i++);
  m.unit.value = stmt.Text(i++);
  m.unit.scheme = stmt.Text(i++);
  m.unit.meaning = stmt.Text(i++);
  m.canonical_value = ReadOptional(stmt, i++);
  m.canonical_unit = stmt.Text(i++);
  if (!stmt.IsNull(i + 1)) m.image = domain::ImageReference{stmt.Text(i), stmt.Text(i + 1), stmt.Text(i + 2)};
  i += 3;
  m.source = domain::ParseSource(stmt.Text(i++)).value_or(domain::MeasurementSource::kDevice);
  m.observer = stmt.Text(i++);
  m.manufacturer = stmt.Text(i++);
  for (const auto& c : kCodeColumns) {
    if (!stmt.IsNull(i)) m.*(c.member) = domain::Code{stmt.Text(i), stmt.Text(i + 1), stmt.Text(i + 2)};
    i += 3;
  }
  return m;
}

}  // namespace

Status SqliteIndex::ReplaceMeasurements(const std::string& sr_sop_instance_uid,
                                        const std::vector<domain::Measurement>& measurements) {
  for (const auto& m : measurements)
    if (m.sr_sop_instance_uid != sr_sop_instance_uid)
      return Fail(ErrorCode::kInvalidArgument,
                  "measurement of SR " + m.sr_sop_instance_uid + " given for SR " + sr_sop_instance_uid);
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  sqlite::Connection& c = **lease;
  static const std::string insert_sql = [] {
    std::string values = "?";
    for (int i = 1; i < kFixedCount + 3 * static_cast<int>(kCodeColumns.size()); ++i) values += ", ?";
    return "INSERT INTO measurements (" + Columns() + ") VALUES (" + values + ")";
  }();
  return sqlite::InTransaction(c, [&]() -> Status {
    {
      auto stmt = c.Prepare("DELETE FROM measurements WHERE sr_sop_instance_uid = ?");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->Bind(1, sr_sop_instance_uid);
      SYSTOLE_RETURN_IF_ERROR(stmt->Run());
    }
    for (const auto& m : measurements) {
      auto stmt = c.Prepare(insert_sql);
      if (!stmt) return std::unexpected(stmt.error());
      BindRow(*stmt, m);
      SYSTOLE_RETURN_IF_ERROR(stmt->Run());
    }
    return {};
  });
}

Result<std::vector<domain::Measurement>> SqliteIndex::StudyMeasurements(const std::string& study_instance_uid) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  static const std::string sql = "SELECT " + Columns() + " FROM measurements WHERE study_instance_uid = ? ORDER BY pk";
  auto stmt = (*lease)->Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, study_instance_uid);
  std::vector<domain::Measurement> out;
  while (true) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(ReadRow(*stmt));
  }
}

}  // namespace systole::adapters
