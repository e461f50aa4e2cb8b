#include "protocols/hl7/oru_message.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "protocols/hl7/hl7_message.h"

namespace systole::hl7 {
namespace {

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// DICOM PN "Family^Given^Middle^Prefix^Suffix" → XPN "Family^Given^Middle^Suffix^Prefix", escaped.
std::string Xpn(const std::string& pn) {
  auto parts = Split(pn.substr(0, pn.find('=')), '^');
  parts.resize(5);
  std::string out = fmt::format("{}^{}^{}^{}^{}", Escape(parts[0]), Escape(parts[1]), Escape(parts[2]),
                                Escape(parts[4]), Escape(parts[3]));
  while (!out.empty() && out.back() == '^') out.pop_back();
  return out;
}

// ISO 8601 "2026-11-22T10:15:00Z" → DTM "20261122101500+0000".
std::string Dtm(const std::string& iso) {
  std::string digits;
  for (char c : iso) {
    if (c == '.' || c == 'Z' || c == '+') break;
    if (c >= '0' && c <= '9') digits += c;
  }
  return digits.empty() ? digits : digits + (iso.ends_with("Z") ? "+0000" : "");
}

std::string Ce(const domain::Code& code) {
  return fmt::format("{}^{}^{}", Escape(code.value), Escape(code.meaning), Escape(code.scheme));
}

class Segments {
 public:
  void Add(std::vector<std::string> fields) {
    while (fields.size() > 1 && fields.back().empty()) fields.pop_back();
    for (std::size_t i = 0; i < fields.size(); ++i) text_ += (i ? "|" : "") + fields[i];
    text_ += '\r';
  }
  std::string text_;
};

}  // namespace

std::string BuildOru(const domain::ReportDocument& d, const OruHeader& h) {
  Segments out;
  const bool addendum = d.status == domain::kReportAddendum;
  const auto& signature = addendum && !d.addenda.empty() ? d.addenda.back().signature : d.signature;
  const std::string observed = d.study_date + d.study_time.substr(0, std::min<std::size_t>(d.study_time.size(), 6));
  const std::string accession = Escape(d.accession_number);
  // MSH-1 is the field separator itself: the encoding characters are field 2.
  out.text_ = fmt::format("MSH|^~\\&|{}|{}|{}|{}|{}||ORU^R01^ORU_R01|{}|P|2.5.1|||AL|NE||UNICODE UTF-8\r",
                          Escape(h.sending_application), Escape(d.institution), Escape(h.receiving_application),
                          Escape(h.receiving_facility), h.timestamp, Escape(h.control_id));
  const auto& id = d.patient.identity;
  out.Add({"PID", "1", "", fmt::format("{}^^^{}^MR", Escape(id.id), Escape(id.issuer)), "", Xpn(d.patient.name), "",
           d.patient.birth_date, Escape(d.patient.sex)});
  out.Add({"ORC", "RE", accession, accession, "", "CM"});
  const std::string interpreter = fmt::format("{}&{}", Escape(signature.signer),
                                              Escape(signature.signer_display));
  std::vector<std::string> obr(33);
  obr[0] = "OBR";
  obr[1] = "1";
  obr[2] = accession;
  obr[3] = accession;
  obr[4] = fmt::format("{}^{}^99SYSTOLE", Escape(d.template_id), Escape(d.template_title));
  obr[7] = observed;
  obr[13] = Escape(d.indication);
  obr[18] = accession;
  obr[22] = Dtm(signature.signed_at);
  obr[24] = "US";
  obr[25] = addendum ? "C" : "F";
  obr[32] = interpreter;
  out.Add(obr);

  int set_id = 0;
  auto obx = [&](const std::string& type, const std::string& observation, const std::string& sub_id,
                 const std::string& value, const std::string& units, const std::string& range, const std::string& flag) {
    out.Add({"OBX", std::to_string(++set_id), type, observation, sub_id, value, units, range, flag, "", "", "F", "",
             "", observed});
  };
  for (const auto& section : d.sections) {
    for (const auto& v : section.values) {
      const domain::Code code = v.code.empty() ? domain::Code{v.field_id, "99SYSTOLE", v.label} : v.code;
      domain::Code shown = code;
      if (shown.meaning.empty()) shown.meaning = v.label;
      if (v.kind == "number") {
        const std::string units = v.unit.empty() ? "" : fmt::format("{0}^{0}^UCUM", Escape(v.unit));
        obx("NM", Ce(shown), Escape(section.id), Escape(v.value), units, Escape(v.normal_range), Escape(v.flag));
      } else if (v.kind == "choice" && !v.choice_code.empty()) {
        obx("CWE", Ce(shown), Escape(section.id), Ce(v.choice_code), "", "", "");
      } else {
        obx("ST", Ce(shown), Escape(section.id), Escape(v.value), "", "", "");
      }
    }
  }
  if (!d.indication.empty()) obx("TX", "18785-6^Indications for study^LN", "", Escape(d.indication), "", "", "");
  if (!d.findings.empty()) obx("TX", "59776-5^Procedure findings^LN", "", Escape(d.findings), "", "", "");
  if (!d.impression.empty()) obx("TX", "19005-8^Impression^LN", "", Escape(d.impression), "", "", "");
  for (std::size_t i = 0; i < d.addenda.size(); ++i) {
    const auto& a = d.addenda[i];
    obx("TX", "55107-7^Addendum^LN", std::to_string(i + 1),
        Escape(fmt::format("{} (signed by {} at {})", a.text,
                           a.signature.signer_display.empty() ? a.signature.signer : a.signature.signer_display,
                           a.signature.signed_at)),
        "", "", "");
  }
  return out.text_;
}

}  // namespace systole::hl7
