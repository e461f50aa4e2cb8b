#include "protocols/hl7/oru_sender.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <charconv>

#include "protocols/hl7/hl7_message.h"
#include "protocols/hl7/mllp_client.h"
#include "protocols/hl7/oru_message.h"

namespace systole::hl7 {

Result<Hl7Destination> ParseHl7Destination(const std::string& full) {
  std::string text = full;
  const bool tls = text.ends_with(";tls");
  if (tls) text.resize(text.size() - 4);
  auto eq = text.find('=');
  auto colon = text.rfind(':');
  if (eq == std::string::npos || eq == 0 || colon == std::string::npos || colon < eq + 2)
    return Fail(ErrorCode::kInvalidArgument, "expected NAME=HOST:PORT");
  Hl7Destination destination;
  destination.name = text.substr(0, eq);
  destination.host = text.substr(eq + 1, colon - eq - 1);
  unsigned port = 0;
  const char* digits = text.data() + colon + 1;
  auto [end, ec] = std::from_chars(digits, text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535)
    return Fail(ErrorCode::kInvalidArgument, "expected a port in [1, 65535] after ':'");
  destination.port = static_cast<std::uint16_t>(port);
  destination.tls = tls;
  if (destination.name.find_first_of("|^~\\&") != std::string::npos)
    return Fail(ErrorCode::kInvalidArgument, "the name must not hold HL7 delimiters");
  return destination;
}

services::DeliverySender Hl7Sender(Hl7Destination destination, std::string sending_application, const Clock& clock) {
  return [destination = std::move(destination), sending_application = std::move(sending_application),
          &clock](const domain::ReportDocument& document, std::int64_t job_id) -> services::SendOutcome {
    OruHeader header;
    header.sending_application = sending_application;
    header.receiving_application =
        destination.receiving_application.empty() ? destination.name : destination.receiving_application;
    header.receiving_facility = destination.receiving_facility;
    header.control_id = fmt::format("SYSTOLE-D{}", job_id);
    header.timestamp = fmt::format("{:%Y%m%d%H%M%S}", std::chrono::floor<std::chrono::seconds>(clock.Now()));
    auto answer = MllpExchange({destination.host, destination.port, destination.timeout, 1 << 20, destination.tls, destination.tls_files},
                               BuildOru(document, header));
    if (!answer) return {false, "", answer.error().message};
    auto ack = Message::Parse(*answer);
    if (!ack) return {false, "", "unreadable ACK: " + ack.error().message};
    const std::string code = ack->Value("MSA", 1);
    if (ack->Value("MSA", 2) != header.control_id)
      return {false, code, fmt::format("ACK for control id '{}', not {}", ack->Value("MSA", 2), header.control_id)};
    if (code == "AA" || code == "CA") return {true, code, ""};
    std::string why = ack->Value("ERR", 8);
    if (why.empty()) why = ack->Value("ERR", 3, 2);
    if (why.empty()) why = ack->Value("MSA", 3);
    return {false, code.empty() ? "?" : code, why.empty() ? "negative acknowledgement" : why};
  };
}

}  // namespace systole::hl7
