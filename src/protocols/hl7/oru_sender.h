// Hl7Sender: an HL7 destination of report delivery — the signed version as an
// ORU^R01 (oru_message.h) sent over MLLP (mllp_client.h). Delivered only on
// an AA (or CA) ACK naming our control id; AE/AR, a wrong or unreadable
// answer, no answer or no connection are errors (the service retries). The
// control id is derived from the job, so every retry sends the same message id.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "protocols/tls/tls_context.h"
#include "services/delivery/delivery_service.h"

namespace systole::hl7 {

struct Hl7Destination {
  std::string name;                   // the queue's destination name, e.g. "EHR"
  std::string host;
  std::uint16_t port = 2575;
  std::string receiving_application;  // MSH-5; the name when empty
  std::string receiving_facility;     // MSH-6
  std::chrono::milliseconds timeout{10000};
  bool tls = false;         // MLLP over TLS ("NAME=HOST:PORT;tls")
  tls::TlsFiles tls_files;  // CA of the receiver's certificate (empty: system), our client certificate if any
};

// "NAME=HOST:PORT", or "NAME=HOST:PORT;tls" for MLLP over TLS; kInvalidArgument names the fault.
Result<Hl7Destination> ParseHl7Destination(const std::string& text);

services::DeliverySender Hl7Sender(Hl7Destination destination, std::string sending_application, const Clock& clock);

}  // namespace systole::hl7
