#include "protocols/hl7/hl7_receiver.h"

#include <algorithm>
#include <atomic>
#include <fmt/format.h>

#include "base/log.h"
#include "protocols/hl7/hl7_message.h"

namespace systole::hl7 {
namespace {

struct Outcome {
  std::string ack_code = "AA";
  AckFault fault;
};

Outcome Reject(Fault code, std::string text, std::string location = {}) {
  return {"AR", {code, std::move(text), std::move(location)}};
}
Outcome ContentError(Fault code, std::string text, std::string location = {}) {
  return {"AE", {code, std::move(text), std::move(location)}};
}

// A service error as an ACK: the content (AE) or us (AR: retry later).
Outcome FromError(const Error& error, std::string location = {}) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument: return ContentError(Fault::kRequiredFieldMissing, error.message, location);
    case ErrorCode::kNotFound: return ContentError(Fault::kTableValueNotFound, error.message, location);
    default: return Reject(Fault::kApplicationError, error.message);
  }
}

// XPN/XCN → DICOM PN: Family^Given^Middle^Prefix^Suffix (XPN: family^given^middle^suffix^prefix;
// XCN has the ID first, so `first` = 2).
std::string PersonName(const Message& m, const Segment& s, std::size_t field, std::size_t first = 1) {
  const std::string family = m.Value(s, field, first, 1);
  const std::string given = m.Value(s, field, first + 1);
  const std::string middle = m.Value(s, field, first + 2);
  const std::string suffix = m.Value(s, field, first + 3);
  const std::string prefix = m.Value(s, field, first + 4);
  std::string pn = family + "^" + given + "^" + middle + "^" + prefix + "^" + suffix;
  while (!pn.empty() && pn.back() == '^') pn.pop_back();
  return pn;
}

std::string Date(std::string_view ts) {
  if (ts.size() < 8) return {};
  for (std::size_t i = 0; i < 8; ++i)
    if (ts[i] < '0' || ts[i] > '9') return {};
  return std::string(ts.substr(0, 8));
}

std::string Time(std::string_view ts) {
  if (ts.size() < 12) return {};
  std::string out;
  for (std::size_t i = 8; i < ts.size() && i < 14 && ts[i] >= '0' && ts[i] <= '9'; ++i) out.push_back(ts[i]);
  return out;
}

std::string Sex(std::string_view hl7) {
  if (hl7 == "M" || hl7 == "F") return std::string(hl7);
  if (hl7 == "O" || hl7 == "A" || hl7 == "N") return "O";
  return {};
}

// PID → patient. The identifier is the first PID-3 repetition of type MR/PI/PT
// (or without a type), else the first; PID-2 (v2.3 external ID) if PID-3 is empty.
Result<domain::Patient> ReadPatient(const Message& m, const Segment& pid) {
  domain::Patient p;
  const std::size_t repetitions = m.Repetitions(pid, 3);
  std::size_t chosen = 0;
  for (std::size_t r = 0; r < repetitions; ++r) {
    const std::string type = m.Value(pid, 3, 5, 1, r);
    if (type.empty() || type == "MR" || type == "PI" || type == "PT") {
      chosen = r;
      break;
    }
  }
  std::size_t field = repetitions > 0 ? 3 : 2;
  if (field == 2) chosen = 0;
  p.identity.id = m.Value(pid, field, 1, 1, chosen);
  p.identity.issuer = m.Value(pid, field, 4, 1, chosen);
  if (p.identity.issuer.empty()) p.identity.issuer = m.Value(pid, field, 4, 2, chosen);  // universal ID
  if (p.identity.id.empty()) return Fail(ErrorCode::kInvalidArgument, "patient identifier (PID-3) missing");
  p.name = PersonName(m, pid, 5);
  p.birth_date = Date(m.Value(pid, 7));
  p.sex = Sex(m.Value(pid, 8));
  return p;
}

std::string Priority(std::string_view code) {
  if (code == "S") return "STAT";
  if (code == "A") return "HIGH";
  if (code == "R") return "ROUTINE";
  if (code == "P" || code == "C" || code == "T") return "MEDIUM";
  return {};
}

Result<services::OrderControl> ReadOrderControl(const std::string& code) {
  if (code == "NW") return services::OrderControl::kNew;
  if (code == "XO") return services::OrderControl::kChange;
  if (code == "CA") return services::OrderControl::kCancel;
  if (code == "DC") return services::OrderControl::kDiscontinue;
  return Fail(ErrorCode::kInvalidArgument, fmt::format("order control '{}' (ORC-1) is not supported: NW, XO, CA, DC", code));
}

// The segments of one ORC group: ORC, then OBR, TQ1, IPC... until the next ORC.
struct OrderGroup {
  const Segment* orc = nullptr;
  const Segment* obr = nullptr;
  const Segment* tq1 = nullptr;
  std::vector<const Segment*> ipcs;
  const Segment* zds = nullptr;
};

std::vector<OrderGroup> OrderGroups(const Message& m) {
  std::vector<OrderGroup> groups;
  for (const auto& s : m.segments()) {
    if (s.name() == "ORC") groups.push_back({&s});
    if (groups.empty()) continue;
    auto& g = groups.back();
    if (s.name() == "OBR" && !g.obr) g.obr = &s;
    if (s.name() == "TQ1" && !g.tq1) g.tq1 = &s;
    if (s.name() == "IPC") g.ipcs.push_back(&s);
    if (s.name() == "ZDS" && !g.zds) g.zds = &s;
  }
  return groups;
}

std::string FirstOf(std::initializer_list<std::string> values) {
  for (const auto& v : values)
    if (!v.empty()) return v;
  return {};
}

Outcome HandleOrder(const Message& m, services::IdentityService& identity, bool omi) {
  const Segment* pid = m.Find("PID");
  auto groups = OrderGroups(m);
  if (groups.empty()) return ContentError(Fault::kSegmentSequence, "no ORC segment", "ORC");
  domain::Patient patient;
  if (pid) {
    auto read = ReadPatient(m, *pid);
    if (!read) return ContentError(Fault::kRequiredFieldMissing, read.error().message, "PID-3");
    patient = *read;
  }
  const Segment* pv1 = m.Find("PV1");
  std::size_t touched = 0;
  for (const auto& g : groups) {
    auto control = ReadOrderControl(m.Value(*g.orc, 1));
    if (!control) return ContentError(Fault::kTableValueNotFound, control.error().message, "ORC-1");
    if (!g.obr) return ContentError(Fault::kSegmentSequence, "ORC group without an OBR segment", "OBR");
    const Segment& orc = *g.orc;
    const Segment& obr = *g.obr;
    domain::ScheduledStep base;
    base.patient = patient;
    base.placer_order_number = FirstOf({m.Value(orc, 2), m.Value(obr, 2)});
    base.filler_order_number = FirstOf({m.Value(orc, 3), m.Value(obr, 3)});
    base.requested_procedure_description = FirstOf({m.Value(obr, 4, 2), m.Value(obr, 4, 1)});
    base.requested_procedure_code = m.Value(obr, 4, 1).empty() ? "" :
        m.Value(obr, 4, 1) + "^" + m.Value(obr, 4, 2) + "^" + m.Value(obr, 4, 3);
    base.step_description = base.requested_procedure_description;
    // Start: TQ1-7 (v2.5+), else OBR-27.4 / ORC-7.4 (quantity/timing), else OBR-36, else OBR-7.
    const std::string start = FirstOf({g.tq1 ? m.Value(*g.tq1, 7) : "", m.Value(obr, 27, 4), m.Value(orc, 7, 4),
                                       m.Value(obr, 36), m.Value(obr, 7)});
    base.start_date = Date(start);
    base.start_time = Time(start);
    base.referring_physician = pv1 ? PersonName(m, *pv1, 8, 2) : "";
    base.requesting_physician = FirstOf({PersonName(m, obr, 16, 2), PersonName(m, orc, 12, 2)});
    if (base.referring_physician.empty()) base.referring_physician = base.requesting_physician;
    base.performing_physician = PersonName(m, obr, 34, 1);
    base.indication = FirstOf({m.Value(obr, 31, 2), m.Value(obr, 31, 1), m.Value(obr, 13)});
    base.priority = Priority(FirstOf({g.tq1 ? m.Value(*g.tq1, 9) : "", m.Value(obr, 27, 6), m.Value(orc, 7, 6)}));
    base.modality = m.Value(obr, 24);
    base.station_ae_titles = m.Value(obr, 21);
    base.requested_procedure_id = m.Value(obr, 19);
    base.step_id = m.Value(obr, 20);
    if (g.zds) base.study_instance_uid = m.Value(*g.zds, 1);
    std::vector<domain::ScheduledStep> steps;
    std::string accession_location;
    if (omi && !g.ipcs.empty()) {
      accession_location = "IPC-1";
      for (const Segment* ipc : g.ipcs) {
        domain::ScheduledStep s = base;
        s.accession_number = m.Value(*ipc, 1);
        s.requested_procedure_id = FirstOf({m.Value(*ipc, 2), s.requested_procedure_id});
        s.study_instance_uid = FirstOf({m.Value(*ipc, 3), s.study_instance_uid});
        s.step_id = FirstOf({m.Value(*ipc, 4), s.step_id});
        s.modality = FirstOf({m.Value(*ipc, 5), s.modality});
        s.step_description = FirstOf({m.Value(*ipc, 6, 2), s.step_description});
        s.station_name = m.Value(*ipc, 7);
        s.location = m.Value(*ipc, 8);
        std::string aes;
        for (std::size_t r = 0; r < m.Repetitions(*ipc, 9); ++r) {
          const std::string ae = m.Value(*ipc, 9, 1, 1, r);
          if (!ae.empty()) aes += (aes.empty() ? "" : "\\") + ae;
        }
        s.station_ae_titles = FirstOf({aes, s.station_ae_titles});
        steps.push_back(std::move(s));
      }
    } else {
      accession_location = "OBR-18";
      base.accession_number = FirstOf({m.Value(obr, 18), base.filler_order_number, base.placer_order_number});
      steps.push_back(std::move(base));
    }
    for (const auto& s : steps) {
      if (s.accession_number.empty())
        return ContentError(Fault::kRequiredFieldMissing, "accession number missing", accession_location);
      if (s.patient.identity.id.empty() && (*control == services::OrderControl::kNew ||
                                            *control == services::OrderControl::kChange))
        return ContentError(Fault::kRequiredFieldMissing, "patient identifier (PID-3) missing", "PID-3");
    }
    auto applied = identity.ApplyOrder(*control, std::move(steps));
    if (!applied) return FromError(applied.error(), accession_location);
    touched += *applied;
  }
  LOG_INFO("hl7", "{} {}: {} scheduled step(s) stored", m.MessageCode(), m.ControlId(), touched);
  return {};
}

Outcome HandleAdt(const Message& m, services::IdentityService& identity) {
  const std::string event = m.TriggerEvent();
  const Segment* pid = m.Find("PID");
  if (!pid) return ContentError(Fault::kSegmentSequence, "PID segment missing", "PID");
  auto patient = ReadPatient(m, *pid);
  if (!patient) return ContentError(Fault::kRequiredFieldMissing, patient.error().message, "PID-3");
  if (event == "A40") {
    const Segment* mrg = m.Find("MRG");
    if (!mrg) return ContentError(Fault::kSegmentSequence, "MRG segment missing", "MRG");
    domain::PatientIdentity merged{m.Value(*mrg, 1, 1), m.Value(*mrg, 1, 4)};
    if (merged.issuer.empty()) merged.issuer = m.Value(*mrg, 1, 4, 2);
    if (merged.id.empty()) return ContentError(Fault::kRequiredFieldMissing, "merged patient identifier (MRG-1) missing", "MRG-1");
    auto outcome = identity.MergePatients(*patient, merged, m.ControlId());
    if (!outcome) return FromError(outcome.error(), "MRG-1");
    LOG_INFO("hl7", "ADT^A40 {}: patient {} merged into {} ({} studies, {} steps moved; merge #{})", m.ControlId(),
             merged.id, patient->identity.id, outcome->moved_studies, outcome->moved_steps, outcome->merge_id);
    return {};
  }
  auto created = identity.RecordPatient(*patient);
  if (!created) return FromError(created.error(), "PID-3");
  LOG_INFO("hl7", "ADT^{} {}: patient {} {}", event, m.ControlId(), patient->identity.id, *created ? "created" : "updated");
  return {};
}

bool SenderAllowed(const std::vector<std::string>& allowed, const std::string& app, const std::string& facility) {
  if (allowed.empty()) return true;
  for (const auto& entry : allowed) {
    auto caret = entry.find('^');
    if (caret == std::string::npos ? entry == app : (entry.substr(0, caret) == app && entry.substr(caret + 1) == facility))
      return true;
  }
  return false;
}

std::atomic<std::uint64_t> g_ack_sequence{0};

}  // namespace

Hl7Receiver::Hl7Receiver(ReceiverConfig config, services::IdentityService& identity)
    : config_(std::move(config)), identity_(identity) {}

std::string Hl7Receiver::Handle(std::string_view raw, std::string_view peer) {
  auto parsed = Message::Parse(raw);
  Outcome outcome;
  domain::InboundMessage record;
  record.peer = peer;
  record.raw = raw;
  if (!parsed) {
    outcome = Reject(Fault::kSegmentSequence, "unparseable message: " + parsed.error().message, "MSH");
  } else {
    const Message& m = *parsed;
    record.sending_application = m.Value("MSH", 3);
    record.sending_facility = m.Value("MSH", 4);
    record.message_type = m.MessageCode() + "^" + m.TriggerEvent();
    record.control_id = m.ControlId();
    const std::string code = m.MessageCode();
    const std::string event = m.TriggerEvent();
    const std::string version = m.Version();
    if (!SenderAllowed(config_.allowed_senders, record.sending_application, record.sending_facility)) {
      outcome = Reject(Fault::kApplicationError,
                       fmt::format("sender {}^{} is not in hl7.allowed_senders", record.sending_application,
                                   record.sending_facility), "MSH-3");
    } else if (m.ControlId().empty()) {
      outcome = Reject(Fault::kRequiredFieldMissing, "message control id (MSH-10) missing", "MSH-10");
    } else if (!version.empty() && !version.starts_with("2.")) {
      outcome = Reject(Fault::kUnsupportedVersion, fmt::format("HL7 version '{}' (MSH-12) is not v2.x", version), "MSH-12");
    } else if (code == "ADT") {
      static constexpr std::string_view kEvents[] = {"A01", "A04", "A05", "A08", "A28", "A31", "A40"};
      if (std::find(std::begin(kEvents), std::end(kEvents), event) == std::end(kEvents))
        outcome = Reject(Fault::kUnsupportedEvent,
                         fmt::format("ADT event '{}' is not supported (A01, A04, A05, A08, A28, A31, A40)", event), "MSH-9");
      else
        outcome = HandleAdt(m, identity_);
    } else if (code == "ORM" && event == "O01") {
      outcome = HandleOrder(m, identity_, false);
    } else if (code == "OMI" && event == "O23") {
      outcome = HandleOrder(m, identity_, true);
    } else if (code.empty()) {
      outcome = Reject(Fault::kRequiredFieldMissing, "message type (MSH-9) missing", "MSH-9");
    } else {
      outcome = Reject(Fault::kUnsupportedMessageType,
                       fmt::format("message type {}^{} is not supported (ADT, ORM^O01, OMI^O23)", code, event), "MSH-9");
    }
  }
  record.ack_code = outcome.ack_code;
  record.error = outcome.fault.text;
  if (auto kept = identity_.RecordMessage(record); !kept) {
    LOG_ERROR("hl7", "cannot keep inbound message {}: {}", record.control_id, kept.error().message);
    if (outcome.ack_code == "AA")  // not kept, not acknowledged: the sender will resend
      outcome = Reject(Fault::kApplicationError, "message could not be stored: " + kept.error().message);
  }
  if (outcome.ack_code != "AA")
    LOG_WARN("hl7", "message {} from {} ({}) answered {}: {}", record.control_id, peer,
             record.message_type.empty() ? "?" : record.message_type, outcome.ack_code, outcome.fault.text);
  const std::string control_id = fmt::format("{}{}", identity_.Hl7Timestamp(), ++g_ack_sequence % 1000000);
  return BuildAck(parsed ? &*parsed : nullptr, outcome.ack_code, outcome.fault, config_.application,
                  config_.facility, control_id, identity_.Hl7Timestamp());
}

}  // namespace systole::hl7
