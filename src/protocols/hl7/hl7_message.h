// HL7 v2 codec: parses an ER7 ("pipe and hat") message as real systems send
// v2.3 to v2.5.1 (and later) and builds ACKs.
//
//   auto message = hl7::Message::Parse(text);           // Result<Message>
//   message->Value("PID", 3, 1, 4) → "ADT1"             // PID-3.4 (first repetition), unescaped
//
// Delimiters come from MSH-1/MSH-2; segments may end in CR, LF or CRLF; a line
// that does not start with a segment name (e.g. a stray CR inside Base64) is
// joined to the segment before it. Every segment is kept, Z-segments included.
// Values are unescaped (\F\ \S\ \T\ \R\ \E\ \Xhh..\ \.br\; highlighting and
// character-set escapes are dropped). Text that is not valid UTF-8 is read as
// ISO 8859-1 (MSH-18 "8859/1", the common case) and converted, so every value
// returned is UTF-8. Immutable after Parse; safe to share between threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace systole::hl7 {

struct Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
};

class Segment {
 public:
  Segment(std::string name, std::vector<std::string> fields) : name_(std::move(name)), fields_(std::move(fields)) {}
  const std::string& name() const { return name_; }
  // Number of the last field present (MSH counts MSH-1, the field separator).
  std::size_t FieldCount() const { return fields_.empty() ? 0 : fields_.size() - 1; }
  // Field `n` (1-based, as in "PID-3") as sent, still escaped; empty if absent.
  std::string_view Raw(std::size_t n) const { return n < fields_.size() ? std::string_view(fields_[n]) : std::string_view(); }

 private:
  std::string name_;
  std::vector<std::string> fields_;  // [0] = name; MSH: [1] = field separator, [2] = encoding characters
};

class Message {
 public:
  // Parses `text` (one message, without MLLP framing). kInvalidArgument names
  // the fault: no MSH segment first, bad encoding characters, malformed
  // segment name.
  static Result<Message> Parse(std::string_view text);

  const Delimiters& delimiters() const { return delimiters_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // The `occurrence`-th segment named `name` (0-based), or nullptr.
  const Segment* Find(std::string_view name, std::size_t occurrence = 0) const;

  // Unescaped value of field/repetition/component/subcomponent of `segment`
  // (field, component, subcomponent 1-based; repetition 0-based). component =
  // 0 returns the whole repetition still joined with its delimiters (unescaped
  // text of a simple field). Empty when absent.
  std::string Value(const Segment& segment, std::size_t field, std::size_t component = 1,
                    std::size_t subcomponent = 1, std::size_t repetition = 0) const;
  std::string Value(std::string_view segment, std::size_t field, std::size_t component = 1,
                    std::size_t subcomponent = 1, std::size_t repetition = 0) const;
  // Number of repetitions of a field (0 if empty).
  std::size_t Repetitions(const Segment& segment, std::size_t field) const;

  // MSH shortcuts.
  std::string MessageCode() const { return Value("MSH", 9, 1); }    // "ADT"
  std::string TriggerEvent() const { return Value("MSH", 9, 2); }   // "A08"
  std::string ControlId() const { return Value("MSH", 10); }
  std::string Version() const { return Value("MSH", 12); }

 private:
  Delimiters delimiters_;
  std::vector<Segment> segments_;
};

// Decodes HL7 escape sequences in `text`.
std::string Unescape(std::string_view text, const Delimiters& delimiters);
// Escapes delimiter characters (and CR/LF) for use inside a field.
std::string Escape(std::string_view text, const Delimiters& delimiters = {});
// `text` itself if it is valid UTF-8, else read as ISO 8859-1 and converted.
std::string ToUtf8(std::string_view text);

// Fault categories of an inbound message (HL7 table 0357 codes).
enum class Fault {
  kNone = 0,
  kSegmentSequence = 100,     // a required segment is missing or out of order
  kRequiredFieldMissing = 101,
  kDataTypeError = 102,
  kTableValueNotFound = 103,
  kUnsupportedMessageType = 200,
  kUnsupportedEvent = 201,
  kUnsupportedVersion = 203,
  kApplicationError = 207,
};

struct AckFault {
  Fault code = Fault::kNone;
  std::string text;       // what was wrong, for people
  std::string location;   // "PID-3" etc., may be empty
};

// Builds an original-mode ACK for `received` (nullptr when the message could
// not be parsed): MSH (sender/receiver swapped, version echoed, default
// v2.5.1), MSA with `ack_code` (AA, AE, AR) and the received control id, and
// for AE/AR an ERR segment (v2.5+ layout: ERR-2 location, ERR-3 code^text^HL70357,
// ERR-4 severity E, ERR-8 user message; v2.3/2.4: ERR-1 segment^^field^code&text).
std::string BuildAck(const Message* received, std::string_view ack_code, const AckFault& fault,
                     std::string_view our_application, std::string_view our_facility,
                     std::string_view control_id, std::string_view timestamp);

}  // namespace systole::hl7
