#include "protocols/hl7/hl7_message.h"

#include <cctype>
#include <fmt/format.h>

namespace systole::hl7 {
namespace {

bool IsSegmentName(std::string_view line, char field_separator) {
  if (line.size() < 3) return false;
  for (std::size_t i = 0; i < 3; ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (!std::isupper(c) && !std::isdigit(c)) return false;
  }
  return line.size() == 3 || line[3] == field_separator;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto at = text.find(separator, start);
    if (at == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

// The n-th (0-based) piece of `text` split by `separator`, or empty.
std::string_view Piece(std::string_view text, char separator, std::size_t n) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto at = text.find(separator, start);
    if (at == std::string_view::npos) return {};
    start = at + 1;
  }
  auto end = text.find(separator, start);
  return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

bool ValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    if (c < 0x80) extra = 0;
    else if ((c >> 5) == 0x6) extra = 1;
    else if ((c >> 4) == 0xE) extra = 2;
    else if ((c >> 3) == 0x1E) extra = 3;
    else return false;
    if (i + extra >= s.size() && extra > 0) return false;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string ToUtf8(std::string_view text) {
  if (ValidUtf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::string Unescape(std::string_view text, const Delimiters& d) {
  if (text.find(d.escape) == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != d.escape) {
      out.push_back(text[i]);
      continue;
    }
    const auto end = text.find(d.escape, i + 1);
    if (end == std::string_view::npos) {  // a lone escape character: keep it as text
      out.append(text.substr(i));
      break;
    }
    const std::string_view seq = text.substr(i + 1, end - i - 1);
    if (seq == "F") out.push_back(d.field);
    else if (seq == "S") out.push_back(d.component);
    else if (seq == "T") out.push_back(d.subcomponent);
    else if (seq == "R") out.push_back(d.repetition);
    else if (seq == "E") out.push_back(d.escape);
    else if (seq == ".br") out.push_back('\n');
    else if (seq == "H" || seq == "N" || (!seq.empty() && (seq[0] == 'C' || seq[0] == 'M' || seq[0] == 'Z')) ||
             (!seq.empty() && seq[0] == '.')) {
      // highlighting, character-set switches, locally defined and formatting escapes: no text
    } else if (!seq.empty() && seq[0] == 'X' && seq.size() % 2 == 1) {
      bool ok = true;
      std::string bytes;
      for (std::size_t k = 1; k + 1 < seq.size(); k += 2) {
        int hi = HexDigit(seq[k]), lo = HexDigit(seq[k + 1]);
        if (hi < 0 || lo < 0) { ok = false; break; }
        bytes.push_back(static_cast<char>(hi * 16 + lo));
      }
      if (ok) out.append(bytes);
      else out.append(text.substr(i, end - i + 1));
    } else {
      out.append(text.substr(i, end - i + 1));  // unknown: keep as sent
    }
    i = end;
  }
  return out;
}

std::string Escape(std::string_view text, const Delimiters& d) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == d.escape) out += fmt::format("{}E{}", d.escape, d.escape);
    else if (c == d.field) out += fmt::format("{}F{}", d.escape, d.escape);
    else if (c == d.component) out += fmt::format("{}S{}", d.escape, d.escape);
    else if (c == d.subcomponent) out += fmt::format("{}T{}", d.escape, d.escape);
    else if (c == d.repetition) out += fmt::format("{}R{}", d.escape, d.escape);
    else if (c == '\r' || c == '\n') out += fmt::format("{}.br{}", d.escape, d.escape);
    else out.push_back(c);
  }
  return out;
}

Result<Message> Message::Parse(std::string_view input) {
  std::string text = ToUtf8(input);
  std::string_view view(text);
  if (view.starts_with("\xEF\xBB\xBF")) view.remove_prefix(3);  // UTF-8 byte order mark
  while (!view.empty() && (view.front() == '\r' || view.front() == '\n' || view.front() == ' ' || view.front() == '\t'))
    view.remove_prefix(1);
  if (view.empty()) return Fail(ErrorCode::kInvalidArgument, "empty message");
  if (!view.starts_with("MSH")) return Fail(ErrorCode::kInvalidArgument, "message does not start with an MSH segment");
  if (view.size() < 8) return Fail(ErrorCode::kInvalidArgument, "MSH segment truncated");
  Message message;
  Delimiters& d = message.delimiters_;
  d.field = view[3];
  const auto encoding_end = view.find(d.field, 4);
  const std::string_view encoding = view.substr(4, encoding_end == std::string_view::npos ? 0 : encoding_end - 4);
  if (std::isalnum(static_cast<unsigned char>(d.field)) || d.field == '\r' || d.field == '\n' || d.field == ' ')
    return Fail(ErrorCode::kInvalidArgument, "MSH-1 field separator is not a delimiter character");
  if (encoding.size() < 4 || encoding.size() > 5)
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("MSH-2 encoding characters '{}' are not 4 (or 5) characters", encoding));
  d.component = encoding[0];
  d.repetition = encoding[1];
  d.escape = encoding[2];
  d.subcomponent = encoding[3];
  const std::string all = std::string(1, d.field) + std::string(encoding);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(all[i]);
    if (std::isalnum(c) || c == ' ' || c < 0x21 || c > 0x7E)
      return Fail(ErrorCode::kInvalidArgument, fmt::format("MSH-2 encoding characters '{}' are not valid delimiters", encoding));
    if (all.find(all[i], i + 1) != std::string::npos)
      return Fail(ErrorCode::kInvalidArgument, fmt::format("MSH-2 encoding characters '{}' repeat a delimiter", encoding));
  }

  // Lines: CR, LF or CRLF end a segment; a line that is no segment continues the previous one.
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < view.size()) {
    auto end = view.find_first_of("\r\n", start);
    std::string_view line = view.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? view.size() : end + 1;
    if (line.empty()) continue;
    const bool looks_like_segment = line.size() >= 4 && line[3] == d.field &&
                                    std::isalnum(static_cast<unsigned char>(line[0])) &&
                                    std::isalnum(static_cast<unsigned char>(line[1])) &&
                                    std::isalnum(static_cast<unsigned char>(line[2]));
    if (IsSegmentName(line, d.field) || looks_like_segment || lines.empty()) {
      lines.emplace_back(line);
    } else {
      lines.back().push_back('\r');
      lines.back().append(line);
    }
  }
  for (std::size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    if (!IsSegmentName(line, d.field))
      return Fail(ErrorCode::kInvalidArgument, fmt::format("segment {} has no valid segment name", n + 1));
    auto parts = Split(line, d.field);
    std::vector<std::string> fields;
    fields.reserve(parts.size() + 1);
    fields.emplace_back(parts[0]);
    if (n == 0) fields.emplace_back(1, d.field);  // MSH-1
    for (std::size_t i = 1; i < parts.size(); ++i) fields.emplace_back(parts[i]);
    message.segments_.emplace_back(std::string(parts[0]), std::move(fields));
  }
  if (message.ControlId().empty() && message.MessageCode().empty())
    return Fail(ErrorCode::kInvalidArgument, "MSH segment has neither a message type (MSH-9) nor a control id (MSH-10)");
  return message;
}

const Segment* Message::Find(std::string_view name, std::size_t occurrence) const {
  for (const auto& segment : segments_)
    if (segment.name() == name && occurrence-- == 0) return &segment;
  return nullptr;
}

std::string Message::Value(const Segment& segment, std::size_t field, std::size_t component, std::size_t subcomponent,
                           std::size_t repetition) const {
  std::string_view raw = segment.Raw(field);
  if (segment.name() == "MSH" && field <= 2) return std::string(raw);  // delimiters are not escaped or split
  raw = Piece(raw, delimiters_.repetition, repetition);
  if (component == 0) return Unescape(raw, delimiters_);
  raw = Piece(raw, delimiters_.component, component - 1);
  raw = Piece(raw, delimiters_.subcomponent, subcomponent - 1);
  std::string value = Unescape(raw, delimiters_);
  if (value == "\"\"") value.clear();  // HL7 null: "delete this value"; we store empty
  return value;
}

std::string Message::Value(std::string_view name, std::size_t field, std::size_t component, std::size_t subcomponent,
                           std::size_t repetition) const {
  const Segment* segment = Find(name);
  return segment ? Value(*segment, field, component, subcomponent, repetition) : std::string();
}

std::size_t Message::Repetitions(const Segment& segment, std::size_t field) const {
  std::string_view raw = segment.Raw(field);
  if (raw.empty()) return 0;
  return Split(raw, delimiters_.repetition).size();
}

std::string BuildAck(const Message* received, std::string_view ack_code, const AckFault& fault,
                     std::string_view our_application, std::string_view our_facility, std::string_view control_id,
                     std::string_view timestamp) {
  const Delimiters d;  // ACKs use the standard delimiters
  std::string version = received ? received->Version() : std::string();
  if (version.empty()) version = "2.5.1";
  const std::string trigger = received ? received->TriggerEvent() : std::string();
  auto field = [&](std::string_view text) { return Escape(text, d); };
  std::string out = fmt::format("MSH|^~\\&|{}|{}|{}|{}|{}||ACK^{}^ACK|{}|P|{}\r", field(our_application),
                                field(our_facility), field(received ? received->Value("MSH", 3) : ""),
                                field(received ? received->Value("MSH", 4) : ""), timestamp, field(trigger),
                                field(control_id), field(version));
  out += fmt::format("MSA|{}|{}", ack_code, field(received ? received->ControlId() : ""));
  if (fault.code != Fault::kNone) out += "|" + field(fault.text.substr(0, 80));
  out += "\r";
  if (fault.code != Fault::kNone) {
    const int code = static_cast<int>(fault.code);
    // location "PID-3" → segment PID, field 3
    std::string segment, field_number;
    if (auto dash = fault.location.find('-'); dash != std::string::npos) {
      segment = fault.location.substr(0, dash);
      field_number = fault.location.substr(dash + 1);
    }
    const bool v25 = version >= "2.5";
    if (v25) {
      out += fmt::format("ERR||{}|{}^{}^HL70357|E||||{}\r",
                         segment.empty() ? "" : fmt::format("{}^1^{}", field(segment), field(field_number)), code,
                         field(code == 101 ? "Required field missing"
                               : code == 100 ? "Segment sequence error"
                               : code == 102 ? "Data type error"
                               : code == 103 ? "Table value not found"
                               : code == 200 ? "Unsupported message type"
                               : code == 201 ? "Unsupported event code"
                               : code == 203 ? "Unsupported version id"
                                             : "Application internal error"),
                         field(fault.text));
    } else {
      out += fmt::format("ERR|{}^1^{}^{}&{}\r", field(segment), field(field_number), code, field(fault.text));
    }
  }
  return out;
}

}  // namespace systole::hl7
