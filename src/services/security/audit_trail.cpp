#include "services/security/audit_trail.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>

#include "services/security/crypto.h"

namespace systole::security {
namespace {

const std::string kGenesis(64, '0');

// Audit event classes → DICOM EventID (DCM codes, PS3.16 CID 400) and EventActionCode.
struct EventClass {
  std::string_view name, code, meaning, action;
};
constexpr std::array<EventClass, 10> kClasses{{
    {"query", "110112", "Query", "E"},
    {"read", "110103", "DICOM Instances Accessed", "R"},
    {"store", "110104", "DICOM Instances Transferred", "C"},
    {"update", "110103", "DICOM Instances Accessed", "U"},
    {"login", "110114", "User Authentication", "E"},
    {"logout", "110114", "User Authentication", "E"},
    {"audit", "110101", "Audit Log Used", "R"},
    {"admin", "110137", "User Security Attributes Changed", "U"},
    {"share", "110106", "Export", "R"},
    {"emergency", "110113", "Security Alert", "E"},
}};

const EventClass* FindClass(std::string_view name) {
  for (const auto& c : kClasses)
    if (c.name == name) return &c;
  return nullptr;
}

nlohmann::json Code(std::string_view code, std::string_view scheme, std::string_view meaning) {
  return {{"csd-code", code}, {"codeSystemName", scheme}, {"originalText", meaning}};
}

nlohmann::json Message(const AuditEvent& e, const EventClass& c, std::int64_t millis, const std::string& source) {
  auto when = std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(millis));
  // RFC 3881 outcome: 0 success, 4 minor failure (refused, bad request), 8 serious failure.
  const char* outcome = e.success ? "0" : e.serious ? "8" : "4";
  nlohmann::json event = {{"EventID", Code(c.code, "DCM", c.meaning)},
                          {"EventActionCode", c.action},
                          {"EventDateTime", fmt::format("{:%FT%T}.{:03}Z", std::chrono::floor<std::chrono::seconds>(when),
                                                        millis % 1000)},
                          {"EventOutcomeIndicator", outcome}};
  if (c.name == "login") event["EventTypeCode"] = nlohmann::json::array({Code("110122", "DCM", "Login")});
  if (c.name == "logout") event["EventTypeCode"] = nlohmann::json::array({Code("110123", "DCM", "Logout")});
  if (c.name == "emergency")
    event["EventTypeCode"] = nlohmann::json::array({Code("110127", "DCM", "Emergency Override Started")});
  nlohmann::json requester = {{"UserID", e.user},
                              {"UserIsRequestor", true},
                              {"NetworkAccessPointID", e.remote},
                              {"NetworkAccessPointTypeCode", "2"}};
  if (!e.role.empty()) requester["RoleIDCode"] = nlohmann::json::array({Code(e.role, "SYSTOLE", e.role)});
  nlohmann::json objects = nlohmann::json::array();
  if (!e.patient.empty())
    objects.push_back({{"ParticipantObjectTypeCode", "1"}, {"ParticipantObjectTypeCodeRole", "1"},
                       {"ParticipantObjectIDTypeCode", Code("2", "RFC-3881", "Patient Number")},
                       {"ParticipantObjectID", e.patient}});
  if (!e.study.empty()) {
    nlohmann::json study = {{"ParticipantObjectTypeCode", "2"}, {"ParticipantObjectTypeCodeRole", "3"},
                            {"ParticipantObjectIDTypeCode", Code("110180", "DCM", "Study Instance UID")},
                            {"ParticipantObjectID", e.study}};
    nlohmann::json detail = nlohmann::json::array();
    if (!e.series.empty()) detail.push_back({{"type", "SeriesInstanceUID"}, {"value", e.series}});
    if (!e.instance.empty()) detail.push_back({{"type", "SOPInstanceUID"}, {"value", e.instance}});
    if (!detail.empty()) study["ParticipantObjectDetail"] = detail;
    objects.push_back(study);
  }
  if (c.name == "query")
    objects.push_back({{"ParticipantObjectTypeCode", "2"}, {"ParticipantObjectTypeCodeRole", "24"},
                       {"ParticipantObjectIDTypeCode", Code("110181", "DCM", "SOP Class UID")},
                       {"ParticipantObjectID", e.action},
                       {"ParticipantObjectQuery", e.query}});
  if (!e.subject.empty())
    objects.push_back({{"ParticipantObjectTypeCode", "2"}, {"ParticipantObjectTypeCodeRole", "11"},
                       {"ParticipantObjectIDTypeCode", Code("11", "RFC-3881", "User Identifier")},
                       {"ParticipantObjectID", e.subject}});
  nlohmann::json message = {{"EventIdentification", event},
                            {"ActiveParticipant", nlohmann::json::array({requester})},
                            {"AuditSourceIdentification", {{"AuditSourceID", source}}},
                            {"ParticipantObjectIdentification", objects},
                            {"SystoleRequest", e.action}};
  if (e.emergency || c.name == "emergency") message["SystoleEmergency"] = true;
  if (!e.detail.empty()) message["SystoleDetail"] = e.detail;
  return message;
}

}  // namespace

bool AuditTrail::KnownClass(std::string_view event_class) { return FindClass(event_class) != nullptr; }

std::string AuditTrail::Canonical(const domain::AuditRecord& r) {
  // nlohmann::json keeps object keys sorted: one text per record.
  return nlohmann::json{{"seq", r.seq},         {"recorded_at", r.recorded_at}, {"user", r.user},
                        {"patient", r.patient}, {"study", r.study},             {"message", r.message}}
      .dump();
}

Status AuditTrail::Record(const AuditEvent& event) {
  const EventClass* c = FindClass(event.event_class);
  if (!c) return Fail(ErrorCode::kInvalidArgument, "unknown audit event class " + event.event_class);
  std::lock_guard lock(mutex_);
  const std::int64_t millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
  for (int attempt = 0;; ++attempt) {
    domain::AuditRecord record;
    auto last = store_.LastRecord();
    if (last) {
      record.seq = last->seq + 1;
      record.prev_hash = last->hash;
    } else if (last.error().code == ErrorCode::kNotFound) {
      record.seq = 1;
      record.prev_hash = kGenesis;
    } else {
      return std::unexpected(last.error());
    }
    record.recorded_at = millis;
    record.user = event.user;
    record.patient = event.patient;
    record.study = event.study;
    record.message = Message(event, *c, millis, source_id_).dump();
    record.hash = Sha256Hex(record.prev_hash + Canonical(record));
    auto appended = store_.Append(record);
    // Another process (an admin command) appended meanwhile: chain onto its record.
    if (!appended && appended.error().code == ErrorCode::kAlreadyExists && attempt < 5) continue;
    if (appended && sink_) sink_->Forward(record, c->code);
    return appended;
  }
}

Result<AuditVerifyReport> AuditTrail::Verify() {
  AuditVerifyReport report;
  std::string prev = kGenesis;
  std::int64_t expected = 1;
  auto walked = store_.ForEachRecord([&](const domain::AuditRecord& r) {
    ++report.records;
    if (report.first_bad_seq) return;
    if (r.seq != expected) {
      report.first_bad_seq = expected;
      report.problem = fmt::format("record {} is missing (deleted); the next one is {}", expected, r.seq);
    } else if (r.prev_hash != prev) {
      report.first_bad_seq = r.seq;
      report.problem = fmt::format("record {} does not chain onto record {} (a record before it was changed)",
                                   r.seq, r.seq - 1);
    } else if (Sha256Hex(r.prev_hash + Canonical(r)) != r.hash) {
      report.first_bad_seq = r.seq;
      report.problem = fmt::format("record {} was modified (its hash does not match its content)", r.seq);
    }
    prev = r.hash;
    expected = r.seq + 1;
  });
  if (!walked) return std::unexpected(walked.error());
  return report;
}

}  // namespace systole::security
