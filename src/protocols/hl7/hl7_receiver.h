// Hl7Receiver: turns one inbound HL7 v2 message into identity-service calls
// and answers it with an ACK (a thin translator; MLLP framing is MllpServer's).
//
//   ADT^A01/A04/A05/A08/A28/A31  → IdentityService::RecordPatient (PID)
//   ADT^A40                      → IdentityService::MergePatients (PID survives, MRG-1 merged)
//   ORM^O01 (ORC/OBR groups)     → IdentityService::ApplyOrder (accession OBR-18, else ORC-3/OBR-3 filler,
//                                  else ORC-2/OBR-2 placer)
//   OMI^O23 (ORC/OBR/IPC groups) → IdentityService::ApplyOrder (accession IPC-1, one step per IPC)
//
// ACK codes: AA done; AE the content is wrong (a required field is missing, an
// unknown order or patient); AR the message is refused (unparseable, message
// type or event not supported, sender not allowed, storage unavailable). AE/AR
// carry an ERR segment naming the fault. Every message is kept with its answer
// (MessageLog) before the ACK is returned. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "services/identity/identity_service.h"

namespace systole::hl7 {

struct ReceiverConfig {
  std::string application = "SYSTOLE";   // our MSH-3 in ACKs
  std::string facility = "SYSTOLE";      // our MSH-4 in ACKs
  // Senders allowed, "APP" (MSH-3) or "APP^FACILITY" (MSH-3 and MSH-4). Empty: any.
  std::vector<std::string> allowed_senders;
};

class Hl7Receiver {
 public:
  Hl7Receiver(ReceiverConfig config, services::IdentityService& identity);

  // Handles one message (MLLP payload) from `peer` and returns the ACK to send.
  // Never fails: every fault becomes an AE/AR ACK.
  std::string Handle(std::string_view raw, std::string_view peer);

 private:
  ReceiverConfig config_;
  services::IdentityService& identity_;
};

}  // namespace systole::hl7
