// MllpClient: sends one HL7 v2 message over MLLP (<VT> message <FS><CR>) and
// waits for the answer (Boost.Asio, one connection per exchange).
//
//   auto ack = hl7::MllpExchange({"ehr.example.org", 2575}, message);  // Result<std::string>
//
// Every step (resolve + connect, write, read) must finish within `timeout`.
// kUnavailable names the step that failed (refused, reset, timed out);
// kInvalidArgument when the answer is over max_answer_bytes. Thread-safe.
// With `tls` the exchange runs over TLS 1.2+: the receiver's certificate must
// chain to tls_files.ca (the system's CAs when empty) and name `host`;
// tls_files.cert/key are presented when the receiver asks for a client certificate.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "protocols/tls/tls_context.h"

namespace systole::hl7 {

struct MllpEndpoint {
  std::string host;
  std::uint16_t port = 2575;
  std::chrono::milliseconds timeout{10000};
  std::size_t max_answer_bytes = 1 << 20;
  bool tls = false;
  tls::TlsFiles tls_files;
};

// The answer's payload (without framing).
Result<std::string> MllpExchange(const MllpEndpoint& endpoint, std::string_view message);

}  // namespace systole::hl7
