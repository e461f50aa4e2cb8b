#include "adapters/sqlite/internal/schema.h"

#include <array>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "base/log.h"

namespace systole::adapters::sqlite {
namespace {

// Each entry is one schema version. Never edit a released entry: append.
// Column names are the DICOM keywords of domain::Attribute, so queries are
// built from the attribute table; derived values (counts, ModalitiesInStudy as
// "\US\SR\") are maintained by AddInstance.
constexpr std::array<const char*, 8> kMigrations{{

    R"sql(
CREATE TABLE patients (
  pk INTEGER PRIMARY KEY,
  PatientID TEXT NOT NULL DEFAULT '',
  IssuerOfPatientID TEXT NOT NULL DEFAULT '',
  PatientName TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  PatientBirthDate TEXT NOT NULL DEFAULT '',
  PatientSex TEXT NOT NULL DEFAULT '',
  NumberOfPatientRelatedStudies INTEGER NOT NULL DEFAULT 0,
  NumberOfPatientRelatedSeries INTEGER NOT NULL DEFAULT 0,
  NumberOfPatientRelatedInstances INTEGER NOT NULL DEFAULT 0
);
-- A patient is PatientID + IssuerOfPatientID; without a PatientID, also name and
-- birth date (files that lack an ID are not all one patient). AddInstance keeps
-- this unique inside its write transaction.
CREATE INDEX patients_id ON patients (PatientID, IssuerOfPatientID);
CREATE INDEX patients_name ON patients (PatientName);

CREATE TABLE studies (
  pk INTEGER PRIMARY KEY,
  patient_pk INTEGER NOT NULL REFERENCES patients (pk),
  StudyInstanceUID TEXT NOT NULL UNIQUE,
  StudyDate TEXT NOT NULL DEFAULT '',
  StudyTime TEXT NOT NULL DEFAULT '',
  AccessionNumber TEXT NOT NULL DEFAULT '',
  StudyDescription TEXT NOT NULL DEFAULT '',
  ReferringPhysicianName TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  StudyID TEXT NOT NULL DEFAULT '',
  ModalitiesInStudy TEXT NOT NULL DEFAULT '\',
  SOPClassesInStudy TEXT NOT NULL DEFAULT '\',
  NumberOfStudyRelatedSeries INTEGER NOT NULL DEFAULT 0,
  NumberOfStudyRelatedInstances INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX studies_patient ON studies (patient_pk);
CREATE INDEX studies_date ON studies (StudyDate, StudyTime);
CREATE INDEX studies_accession ON studies (AccessionNumber);

CREATE TABLE series (
  pk INTEGER PRIMARY KEY,
  study_pk INTEGER NOT NULL REFERENCES studies (pk),
  SeriesInstanceUID TEXT NOT NULL UNIQUE,
  Modality TEXT NOT NULL DEFAULT '',
  SeriesNumber TEXT NOT NULL DEFAULT '',
  SeriesDescription TEXT NOT NULL DEFAULT '',
  SeriesDate TEXT NOT NULL DEFAULT '',
  SeriesTime TEXT NOT NULL DEFAULT '',
  BodyPartExamined TEXT NOT NULL DEFAULT '',
  Manufacturer TEXT NOT NULL DEFAULT '',
  NumberOfSeriesRelatedInstances INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX series_study ON series (study_pk);

CREATE TABLE instances (
  pk INTEGER PRIMARY KEY,
  series_pk INTEGER NOT NULL REFERENCES series (pk),
  SOPInstanceUID TEXT NOT NULL UNIQUE,
  SOPClassUID TEXT NOT NULL DEFAULT '',
  InstanceNumber TEXT NOT NULL DEFAULT '',
  NumberOfFrames TEXT NOT NULL DEFAULT '',
  TransferSyntaxUID TEXT NOT NULL DEFAULT '',
  Rows TEXT NOT NULL DEFAULT '',
  Columns TEXT NOT NULL DEFAULT '',
  FrameTime TEXT NOT NULL DEFAULT '',
  ContentDate TEXT NOT NULL DEFAULT '',
  ContentTime TEXT NOT NULL DEFAULT '',
  blob_key TEXT NOT NULL,
  blob_size INTEGER NOT NULL,
  blob_hash TEXT NOT NULL,
  received_at TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX instances_series ON instances (series_pk);
)sql",
    // 2: identity (HL7 ADT, orders, Modality Worklist, inbound message log).
    R"sql(
-- A merged patient points at the one that survived: later instances sent
-- with the merged identifier are filed under the survivor.
ALTER TABLE patients ADD COLUMN merged_into_pk INTEGER REFERENCES patients (pk);

-- One row per merge: what moved, so that it can be undone.
CREATE TABLE patient_merges (
  pk INTEGER PRIMARY KEY,
  surviving_patient_pk INTEGER NOT NULL REFERENCES patients (pk),
  merged_patient_pk INTEGER NOT NULL REFERENCES patients (pk),
  moved_study_pks TEXT NOT NULL DEFAULT '',   -- comma-separated studies.pk
  moved_step_pks TEXT NOT NULL DEFAULT '',    -- comma-separated scheduled_steps.pk
  previous_merged_into_pk INTEGER,            -- merged_into_pk of the merged patient before
  reference TEXT NOT NULL DEFAULT '',         -- e.g. HL7 control id of the A40
  merged_at TEXT NOT NULL,
  undone_at TEXT
);

CREATE TABLE scheduled_steps (
  pk INTEGER PRIMARY KEY,
  patient_pk INTEGER NOT NULL REFERENCES patients (pk),
  AccessionNumber TEXT NOT NULL,
  ScheduledProcedureStepID TEXT NOT NULL DEFAULT '',
  placer_order_number TEXT NOT NULL DEFAULT '',
  filler_order_number TEXT NOT NULL DEFAULT '',
  RequestedProcedureID TEXT NOT NULL DEFAULT '',
  RequestedProcedureDescription TEXT NOT NULL DEFAULT '',
  requested_procedure_code TEXT NOT NULL DEFAULT '',
  StudyInstanceUID TEXT NOT NULL DEFAULT '',
  ScheduledProcedureStepDescription TEXT NOT NULL DEFAULT '',
  ScheduledStationAETitle TEXT NOT NULL DEFAULT '',
  ScheduledStationName TEXT NOT NULL DEFAULT '',
  ScheduledProcedureStepLocation TEXT NOT NULL DEFAULT '',
  Modality TEXT NOT NULL DEFAULT '',
  ScheduledProcedureStepStartDate TEXT NOT NULL DEFAULT '',
  ScheduledProcedureStepStartTime TEXT NOT NULL DEFAULT '',
  ReferringPhysicianName TEXT NOT NULL DEFAULT '',
  RequestingPhysician TEXT NOT NULL DEFAULT '',
  ScheduledPerformingPhysicianName TEXT NOT NULL DEFAULT '',
  ReasonForTheRequestedProcedure TEXT NOT NULL DEFAULT '',
  RequestedProcedurePriority TEXT NOT NULL DEFAULT '',
  ScheduledProcedureStepStatus TEXT NOT NULL DEFAULT 'SCHEDULED',
  updated_at TEXT NOT NULL DEFAULT '',
  UNIQUE (AccessionNumber, ScheduledProcedureStepID)
);
CREATE INDEX scheduled_steps_patient ON scheduled_steps (patient_pk);
CREATE INDEX scheduled_steps_start ON scheduled_steps (ScheduledProcedureStepStartDate, ScheduledProcedureStepStartTime);

CREATE TABLE hl7_messages (
  pk INTEGER PRIMARY KEY,
  received_at TEXT NOT NULL,
  peer TEXT NOT NULL DEFAULT '',
  sending_application TEXT NOT NULL DEFAULT '',
  sending_facility TEXT NOT NULL DEFAULT '',
  message_type TEXT NOT NULL DEFAULT '',
  control_id TEXT NOT NULL DEFAULT '',
  ack_code TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  raw BLOB NOT NULL
);
CREATE INDEX hl7_messages_received ON hl7_messages (received_at);
)sql",
    // 3: numeric measurements read from SR objects (ports::MeasurementStore),
    // keyed by the SR's SOP Instance UID; pk gives the write order. A code is
    // three columns <name>_code/_scheme/_meaning, _code NULL when absent.
    R"sql(
CREATE TABLE measurements (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  sr_sop_instance_uid TEXT NOT NULL,
  sr_sop_class_uid TEXT NOT NULL DEFAULT '',
  study_instance_uid TEXT NOT NULL,
  series_instance_uid TEXT NOT NULL DEFAULT '',
  ordinal INTEGER NOT NULL,
  concept_code TEXT NOT NULL, concept_scheme TEXT NOT NULL, concept_meaning TEXT NOT NULL DEFAULT '',
  canonical_code TEXT NOT NULL, canonical_scheme TEXT NOT NULL,
  value TEXT,
  unit_code TEXT NOT NULL DEFAULT '', unit_scheme TEXT NOT NULL DEFAULT '', unit_meaning TEXT NOT NULL DEFAULT '',
  canonical_value TEXT,
  canonical_unit TEXT NOT NULL DEFAULT '',
  qualifier_code TEXT, qualifier_scheme TEXT, qualifier_meaning TEXT,
  derivation_code TEXT, derivation_scheme TEXT, derivation_meaning TEXT,
  selection_code TEXT, selection_scheme TEXT, selection_meaning TEXT,
  site_code TEXT, site_scheme TEXT, site_meaning TEXT,
  laterality_code TEXT, laterality_scheme TEXT, laterality_meaning TEXT,
  phase_code TEXT, phase_scheme TEXT, phase_meaning TEXT,
  image_mode_code TEXT, image_mode_scheme TEXT, image_mode_meaning TEXT,
  image_view_code TEXT, image_view_scheme TEXT, image_view_meaning TEXT,
  method_code TEXT, method_scheme TEXT, method_meaning TEXT,
  flow_direction_code TEXT, flow_direction_scheme TEXT, flow_direction_meaning TEXT,
  stage_code TEXT, stage_scheme TEXT, stage_meaning TEXT,
  image_sop_class_uid TEXT, image_sop_instance_uid TEXT, image_frames TEXT,
  source TEXT NOT NULL,
  observer TEXT NOT NULL DEFAULT '',
  manufacturer TEXT NOT NULL DEFAULT ''
);
CREATE INDEX measurements_sr ON measurements (sr_sop_instance_uid);
CREATE INDEX measurements_study ON measurements (study_instance_uid, pk);
CREATE INDEX measurements_concept ON measurements (canonical_scheme, canonical_code);
)sql",
    // 4: reports (services/reporting): the working copy of each report and
    // every signed version (immutable; written with the working copy).
    R"sql(
CREATE TABLE reports (
  id TEXT PRIMARY KEY,
  study_instance_uid TEXT NOT NULL,
  template_id TEXT NOT NULL,
  status TEXT NOT NULL,
  revision INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_pk INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX reports_study ON reports (study_instance_uid, created_pk);
CREATE TABLE report_versions (
  report_id TEXT NOT NULL REFERENCES reports (id),
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  signer TEXT NOT NULL,
  signed_at TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  patient_issuer TEXT NOT NULL,
  study_instance_uid TEXT NOT NULL,
  accession_number TEXT NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (report_id, version)
);
CREATE INDEX report_versions_signed ON report_versions (signed_at);
)sql",
    // 5: report deliveries (ports::DeliveryQueue): one job per signed report
    // version x destination, the document as delivered, and every attempt.
    R"sql(
CREATE TABLE delivery_jobs (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  report_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  destination TEXT NOT NULL,
  state TEXT NOT NULL,              -- pending, in_flight, delivered, failed
  document TEXT NOT NULL,
  created_at TEXT NOT NULL,
  next_attempt_at TEXT NOT NULL DEFAULT '',
  UNIQUE (report_id, version, destination)
);
CREATE INDEX delivery_jobs_due ON delivery_jobs (state, next_attempt_at);
CREATE TABLE delivery_attempts (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  job_pk INTEGER NOT NULL REFERENCES delivery_jobs (pk),
  at TEXT NOT NULL,
  outcome TEXT NOT NULL,
  ack_code TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempts_job ON delivery_attempts (job_pk, pk);
)sql",
    // 6: reconciliation of studies with orders (ports::Reconciliation): the
    // patient module as the study's first instance carried it (served headers
    // are corrected when the index differs), its state and order context, and
    // the log of every reconciliation action.
    R"sql(
CREATE TABLE study_reconciliation (
  StudyInstanceUID TEXT PRIMARY KEY,
  header_PatientID TEXT NOT NULL DEFAULT '',
  header_IssuerOfPatientID TEXT NOT NULL DEFAULT '',
  header_PatientName TEXT NOT NULL DEFAULT '',
  header_PatientBirthDate TEXT NOT NULL DEFAULT '',
  header_PatientSex TEXT NOT NULL DEFAULT '',
  AccessionNumber TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,                      -- orphan, mismatch, linked, dismissed
  mismatches TEXT NOT NULL DEFAULT '',      -- JSON array of {attribute, header, order}
  order_accession TEXT NOT NULL DEFAULT '',
  requested_procedure TEXT NOT NULL DEFAULT '',
  indication TEXT NOT NULL DEFAULT '',
  priority TEXT NOT NULL DEFAULT '',
  referring_physician TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL
);
CREATE INDEX study_reconciliation_state ON study_reconciliation (state);

CREATE TABLE reconciliation_log (
  pk INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  user TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  StudyInstanceUID TEXT NOT NULL DEFAULT '',
  before TEXT NOT NULL DEFAULT '',
  after TEXT NOT NULL DEFAULT ''
);
)sql",
    // 7: security (adapters/sqlite/sqlite_security.cpp): users, sign-ins (only the
    // SHA-256 of a token), and the append-only, hash-chained audit log.
    R"sql(
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL REFERENCES users (name),
  kind TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  label TEXT NOT NULL DEFAULT ''
);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  recorded_at INTEGER NOT NULL,
  user TEXT NOT NULL,
  patient TEXT NOT NULL,
  study TEXT NOT NULL,
  message TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_user ON audit_log (user, recorded_at);
CREATE INDEX audit_log_patient ON audit_log (patient, recorded_at);
CREATE INDEX audit_log_study ON audit_log (study, recorded_at);
CREATE INDEX audit_log_time ON audit_log (recorded_at);
-- Append-only through Systole; tampering with sqlite3 (dropping these) is what
-- the hash chain and `systole admin audit verify` detect.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
)sql",
    // 8: data-level access (adapters/sqlite/sqlite_access_grants.cpp): grants
    // (AI assignments, patient links, referring names, institutions, break-glass,
    // share sessions), share links (only the SHA-256 of a link token), and the
    // InstitutionName (0008,0080) of each series for site restriction.
    R"sql(
ALTER TABLE series ADD COLUMN InstitutionName TEXT NOT NULL DEFAULT '';
CREATE TABLE access_grants (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  user TEXT NOT NULL,
  value TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX access_grants_user ON access_grants (kind, user);
CREATE TABLE shares (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  study TEXT NOT NULL,
  recipient TEXT NOT NULL,
  report INTEGER NOT NULL,
  download INTEGER NOT NULL,
  pin_hash TEXT NOT NULL DEFAULT '',
  failed_pins INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX shares_study ON shares (study, created_at);
)sql",
}};

}  // namespace

Status Migrate(Connection& connection) {
  SYSTOLE_RETURN_IF_ERROR(connection.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  return InTransaction(connection, [&]() -> Status {
    std::size_t current = 0;
    {
      auto read = connection.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
      if (!read) return std::unexpected(read.error());
      auto row = read->Step();
      if (!row) return std::unexpected(row.error());
      current = static_cast<std::size_t>(read->Int(0));
    }
    if (current > kMigrations.size())
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("index schema version {} is newer than this Systole ({})", current, kMigrations.size()));
    for (std::size_t version = current + 1; version <= kMigrations.size(); ++version) {
      SYSTOLE_RETURN_IF_ERROR(connection.Exec(kMigrations[version - 1]));
      SYSTOLE_RETURN_IF_ERROR(connection.Exec(fmt::format("INSERT INTO schema_version VALUES ({})", version)));
      LOG_INFO("index", "schema migrated to version {}", version);
    }
    return {};
  });
}

}  // namespace systole::adapters::sqlite
