#include "services/delivery/report_pdf.h"

#include <hpdf.h>

#include <fmt/format.h>

#include <cctype>
#include <vector>

namespace systole::services {
namespace {

constexpr float kPageWidth = 595.276f;   // A4, points
constexpr float kPageHeight = 841.89f;
constexpr float kMargin = 50;
constexpr float kBottom = 60;            // the footer lives below this

void OnHaruError(HPDF_STATUS error, HPDF_STATUS detail, void* user) {
  auto* status = static_cast<HPDF_STATUS*>(user);
  if (*status == HPDF_OK) *status = error ? error : detail;
}

// "Family^Given^Middle^Prefix^Suffix" → "Prefix Given Middle Family Suffix".
std::string DisplayName(const std::string& pn) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto caret = pn.find('^', start);
    parts.push_back(pn.substr(start, caret == std::string::npos ? std::string::npos : caret - start));
    if (caret == std::string::npos) break;
    start = caret + 1;
  }
  parts.resize(5);
  std::string out;
  for (const auto* p : {&parts[3], &parts[1], &parts[2], &parts[0], &parts[4]})
    if (!p->empty()) out += (out.empty() ? "" : " ") + *p;
  return out;
}

// YYYYMMDD → YYYY-MM-DD (other text unchanged).
std::string DisplayDate(const std::string& da) {
  if (da.size() != 8) return da;
  return da.substr(0, 4) + "-" + da.substr(4, 2) + "-" + da.substr(6, 2);
}

std::string DisplayTime(const std::string& tm) {
  if (tm.size() < 4) return tm;
  return tm.substr(0, 2) + ":" + tm.substr(2, 2);
}

// Lays text out top to bottom, adding pages as needed.
class Layout {
 public:
  Layout(HPDF_Doc pdf, HPDF_Font regular, HPDF_Font bold) : pdf_(pdf), regular_(regular), bold_(bold) { NewPage(); }

  void NewPage() {
    page_ = HPDF_AddPage(pdf_);
    HPDF_Page_SetSize(page_, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    pages_.push_back(page_);
    y_ = kPageHeight - kMargin;
  }

  // Room for `height` more points on this page, else a new page.
  void Need(float height) {
    if (y_ - height < kBottom) NewPage();
  }

  void Text(float x, float y, const std::string& text, float size, bool bold = false) {
    if (text.empty()) return;
    HPDF_Page_BeginText(page_);
    HPDF_Page_SetFontAndSize(page_, bold ? bold_ : regular_, size);
    HPDF_Page_TextOut(page_, x, y, text.c_str());
    HPDF_Page_EndText(page_);
  }

  float Width(const std::string& text, float size, bool bold = false) {
    HPDF_Page_SetFontAndSize(page_, bold ? bold_ : regular_, size);
    return HPDF_Page_TextWidth(page_, text.c_str());
  }

  // One line of text at the cursor.
  void Line(const std::string& text, float size = 10, bool bold = false, float x = kMargin) {
    Need(size * 1.5f);
    y_ -= size * 1.4f;
    Text(x, y_, text, size, bold);
  }

  // Wrapped paragraph (explicit newlines kept).
  void Paragraph(const std::string& text, float size = 10, float x = kMargin) {
    const float width = kPageWidth - kMargin - x;
    std::size_t start = 0;
    while (start <= text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      WrapLine(text.substr(start, end - start), size, x, width);
      start = end + 1;
    }
  }

  void Rule(float gap = 6) {
    Need(gap * 2);
    y_ -= gap;
    HPDF_Page_SetLineWidth(page_, 0.5f);
    HPDF_Page_MoveTo(page_, kMargin, y_);
    HPDF_Page_LineTo(page_, kPageWidth - kMargin, y_);
    HPDF_Page_Stroke(page_);
    y_ -= gap / 2;
  }

  void Space(float points) { y_ -= points; }

  // A row of a section table: label, value + unit, normal range, flag.
  void ValueRow(const domain::ReportValue& v) {
    std::string value = v.value + (v.unit.empty() || v.unit == "1" ? "" : " " + v.unit);  // UCUM "1": no unit
    if (y_ - 16 < kBottom) {  // the table goes on over the page: its header again
      NewPage();
      TableHeader();
    }
    y_ -= 14;
    const bool flagged = !v.flag.empty();
    if (flagged) {
      HPDF_Page_SetRGBFill(page_, 1.0f, 0.85f, 0.85f);
      HPDF_Page_Rectangle(page_, kMargin - 2, y_ - 4, kPageWidth - 2 * kMargin + 4, 14);
      HPDF_Page_Fill(page_);
      HPDF_Page_SetRGBFill(page_, 0, 0, 0);
    }
    Text(kMargin + 8, y_, Fit(v.label, 230, 10), 10);
    Text(kMargin + 250, y_, Fit(value, 110, 10), 10, flagged);
    Text(kMargin + 370, y_, v.normal_range.empty() ? "" : "(" + v.normal_range + ")", 9);
    if (flagged) {
      HPDF_Page_SetRGBFill(page_, 0.8f, 0, 0);
      Text(kMargin + 440, y_, v.flag == "H" ? "H  ▲ high" : v.flag == "L" ? "L  ▼ low" : v.flag, 10, true);
      HPDF_Page_SetRGBFill(page_, 0, 0, 0);
    }
  }

  void TableHeader() {
    Need(30);
    y_ -= 13;
    Text(kMargin + 8, y_, "Measurement", 8, true);
    Text(kMargin + 250, y_, "Value", 8, true);
    Text(kMargin + 370, y_, "Normal range", 8, true);
    Text(kMargin + 440, y_, "Flag", 8, true);
  }

  // "Page i of n" and the report id on every page.
  void Footers(const std::string& left) {
    for (std::size_t i = 0; i < pages_.size(); ++i) {
      page_ = pages_[i];
      Text(kMargin, 30, left, 8);
      std::string number = fmt::format("Page {} of {}", i + 1, pages_.size());
      Text(kPageWidth - kMargin - Width(number, 8), 30, number, 8);
    }
  }

 private:
  // `text` cut with "…" to at most `width` points.
  std::string Fit(const std::string& text, float width, float size) {
    if (Width(text, size) <= width) return text;
    std::string cut = text;
    while (!cut.empty() && Width(cut + "…", size) > width) {
      cut.pop_back();
      while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) cut.pop_back();
      if (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0xC0) cut.pop_back();
    }
    return cut + "…";
  }

  void WrapLine(const std::string& text, float size, float x, float width) {
    std::string line;
    std::size_t start = 0;
    auto flush = [&] {
      Line(line, size, false, x);
      line.clear();
    };
    if (text.empty()) {
      Space(size * 0.8f);
      return;
    }
    while (start < text.size()) {
      auto space = text.find(' ', start);
      std::string word = text.substr(start, space == std::string::npos ? std::string::npos : space - start);
      start = space == std::string::npos ? text.size() : space + 1;
      std::string candidate = line.empty() ? word : line + " " + word;
      if (!line.empty() && Width(candidate, size) > width) {
        flush();
        line = word;
      } else {
        line = candidate;
      }
    }
    if (!line.empty()) flush();
  }

  HPDF_Doc pdf_;
  HPDF_Font regular_;
  HPDF_Font bold_;
  HPDF_Page page_ = nullptr;
  std::vector<HPDF_Page> pages_;
  float y_ = 0;
};

std::string SignatureLine(const domain::ReportSignature& s) {
  std::string who = s.signer_display.empty() ? s.signer : s.signer_display;
  if (!s.signer_display.empty() && s.signer_display != s.signer) who += " (" + s.signer + ")";
  return fmt::format("Electronically signed by {} at {}", who, s.signed_at);
}

void Render(Layout& out, const domain::ReportDocument& d) {
  out.Line(d.institution, 16, true);
  out.Line(d.template_title, 13, true);
  std::string status = d.status == domain::kReportAddendum ? "FINAL WITH ADDENDUM" : d.status == domain::kReportFinal ? "FINAL" : d.status;
  for (auto& c : status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out.Line(fmt::format("Status: {}   Version {}   Report {}", status, d.version, d.report_id), 9);
  out.Rule();
  const auto& p = d.patient;
  out.Line(fmt::format("Patient: {}", DisplayName(p.name)), 11, true);
  out.Line(fmt::format("ID: {}{}   Born: {}   Sex: {}", p.identity.id, p.identity.issuer.empty() ? "" : " (" + p.identity.issuer + ")",
                       DisplayDate(p.birth_date), p.sex));
  out.Line(fmt::format("Study: {} {}   {}   Accession: {}", DisplayDate(d.study_date), DisplayTime(d.study_time),
                       d.study_description, d.accession_number));
  if (!d.referring_physician.empty()) out.Line("Referring physician: " + DisplayName(d.referring_physician));
  if (!d.indication.empty()) out.Paragraph("Indication: " + d.indication);
  out.Rule();
  for (const auto& section : d.sections) {
    if (section.values.empty()) continue;
    out.Need(50);
    out.Line(section.title, 12, true);
    out.TableHeader();
    for (const auto& v : section.values) out.ValueRow(v);
    out.Space(6);
  }
  if (!d.findings.empty()) {
    out.Need(40);
    out.Line("Findings", 12, true);
    out.Paragraph(d.findings);
    out.Space(6);
  }
  if (!d.impression.empty()) {
    out.Need(40);
    out.Line("Impression", 12, true);
    out.Paragraph(d.impression, 11);
    out.Space(6);
  }
  out.Rule();
  out.Line(SignatureLine(d.signature), 10, true);
  out.Line("SHA-256: " + d.signature.content_sha256, 7);
  for (std::size_t i = 0; i < d.addenda.size(); ++i) {
    const auto& a = d.addenda[i];
    out.Space(8);
    out.Need(50);
    out.Line(fmt::format("Addendum {}", i + 1), 12, true);
    out.Paragraph(a.text);
    out.Line(SignatureLine(a.signature), 10, true);
    out.Line("SHA-256: " + a.signature.content_sha256, 7);
  }
}

}  // namespace

Result<std::string> RenderReportPdf(const domain::ReportDocument& document, const PdfOptions& options) {
  for (const auto& font : {options.font, options.bold_font}) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(font, error))
      return Fail(ErrorCode::kUnavailable, "PDF font " + font.string() + " not found (Debian package fonts-dejavu-core)");
  }
  HPDF_STATUS status = HPDF_OK;
  HPDF_Doc pdf = HPDF_New(&OnHaruError, &status);
  if (!pdf) return Fail(ErrorCode::kInternal, "libharu: cannot create a document");
  struct Free {
    HPDF_Doc pdf;
    ~Free() { HPDF_Free(pdf); }
  } free_pdf{pdf};
  HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
  HPDF_UseUTFEncodings(pdf);
  HPDF_SetCurrentEncoder(pdf, "UTF-8");
  const char* regular_name = HPDF_LoadTTFontFromFile(pdf, options.font.c_str(), HPDF_TRUE);
  const char* bold_name = HPDF_LoadTTFontFromFile(pdf, options.bold_font.c_str(), HPDF_TRUE);
  if (!regular_name || !bold_name || status != HPDF_OK)
    return Fail(ErrorCode::kUnavailable, fmt::format("libharu cannot load the fonts (error 0x{:04X})", status));
  HPDF_Font regular = HPDF_GetFont(pdf, regular_name, "UTF-8");
  HPDF_Font bold = HPDF_GetFont(pdf, bold_name, "UTF-8");
  HPDF_SetInfoAttr(pdf, HPDF_INFO_TITLE, document.template_title.c_str());
  HPDF_SetInfoAttr(pdf, HPDF_INFO_CREATOR, "Systole");
  Layout layout(pdf, regular, bold);
  Render(layout, document);
  layout.Footers(fmt::format("{} — {} — report {} v{}", document.institution, DisplayName(document.patient.name),
                             document.report_id, document.version));
  if (status != HPDF_OK) return Fail(ErrorCode::kInternal, fmt::format("libharu error 0x{:04X}", status));
  if (HPDF_SaveToStream(pdf) != HPDF_OK) return Fail(ErrorCode::kInternal, "libharu cannot write the PDF");
  std::string bytes(HPDF_GetStreamSize(pdf), '\0');
  HPDF_UINT32 size = static_cast<HPDF_UINT32>(bytes.size());
  HPDF_ResetStream(pdf);
  if (HPDF_ReadFromStream(pdf, reinterpret_cast<HPDF_BYTE*>(bytes.data()), &size) != HPDF_OK && size == 0)
    return Fail(ErrorCode::kInternal, "libharu cannot read the PDF back");
  bytes.resize(size);
  return bytes;
}

}  // namespace systole::services
