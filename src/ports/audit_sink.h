// AuditSink: where the audit trail sends a copy of every record it appended
// (e.g. a syslog collector). Adapters: adapters/syslog (SyslogForwarder).
#pragma once

#include <string_view>

#include "domain/security.h"

namespace systole::ports {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Called after `record` was stored; `event_id` is its DICOM EventID code (e.g. "110112").
  // Must return at once and never fail the caller: a sink that cannot keep up drops (and counts).
  // Thread-safe.
  virtual void Forward(const domain::AuditRecord& record, std::string_view event_id) = 0;
};

}  // namespace systole::ports
