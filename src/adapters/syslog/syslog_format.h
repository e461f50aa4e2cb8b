// RFC 5424 syslog lines for audit records, and their framing on a stream
// (RFC 5425 over TLS and RFC 6587 over TCP both use octet counting).
#pragma once

#include <string>
#include <string_view>

#include "domain/security.h"

namespace systole::adapters {

// IHE ATNA: facility 10 (security/authorization), severity 5 (notice).
constexpr int kAuditPriority = 10 * 8 + 5;

// "<85>1 2026-11-23T04:10:00.123Z host systole 4242 110112 - {json}":
// VERSION 1, TIMESTAMP from record.recorded_at (UTC, milliseconds), MSGID the
// event id, no structured data, MSG the DICOM Audit Message JSON. Header
// fields that are empty or not printable US-ASCII become "-" (NILVALUE), and
// are cut to the RFC's lengths.
std::string SyslogLine(const domain::AuditRecord& record, std::string_view event_id, std::string_view hostname,
                       std::string_view app_name, int pid);

// "LEN SP MSG" (octet counting, RFC 5425 section 4.3 / RFC 6587 section 3.4.1).
std::string OctetCounted(std::string_view line);

}  // namespace systole::adapters
