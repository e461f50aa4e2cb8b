// The PDF as poppler sees it: pages rendered with pdftoppm are not blank, and
// pdftotext finds the values, the flag, the signatures and the page numbers.
#include "services/delivery/report_pdf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fmt/format.h>
#include <map>
#include <fstream>

#include "services/delivery/delivery_testing.h"

namespace systole::services {
namespace {


std::filesystem::path WritePdf(const std::string& bytes, const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("systole_pdf_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Dark pixels (< 128) of page `page` rendered at 50 dpi in grey (binary PGM).
std::size_t DarkPixels(const std::filesystem::path& pdf, int page) {
  const std::string pgm = testing::RunCommand(fmt::format("pdftoppm -gray -r 50 -f {0} -l {0} {1}", page, pdf.string()));
  // "P5\n<w> <h>\n255\n" then w*h bytes.
  std::size_t header_end = 0;
  for (int newlines = 0; header_end < pgm.size() && newlines < 3; ++header_end)
    if (pgm[header_end] == '\n') ++newlines;
  if (!pgm.starts_with("P5")) return 0;
  std::size_t dark = 0;
  for (std::size_t i = header_end; i < pgm.size(); ++i)
    if (static_cast<unsigned char>(pgm[i]) < 128) ++dark;
  return dark;
}

TEST(ReportPdfTest, RendersAReadableReportWithItsValuesFlagsAndSignatures) {
  auto pdf = RenderReportPdf(testing::SampleTteReport());
  ASSERT_TRUE(pdf) << pdf.error().message;
  ASSERT_TRUE(pdf->starts_with("%PDF-"));
  auto path = WritePdf(*pdf, "tte.pdf");
  EXPECT_GT(DarkPixels(path, 1), 2000u) << "page 1 is not blank";
  const std::string text = testing::RunCommand("pdftotext -layout " + path.string() + " -");
  for (const char* expected : {"Hôpital Cœur-Saint-Jean", "Transthoracic echocardiogram", "Jürgen A Müller",
                               "PAT-1001 (HOSP-A)", "1956-04-12", "ACC-77881", "LV ejection fraction (biplane)",
                               "55 %", "(52-72)", "48 mm", "15.2", "(<14)", "▲ high", "Grade II", "LVEF 55 %",
                               "Diastolic dysfunction grade II", "Electronically signed by Dr Jane Smith (jsmith) at "
                               "2026-11-22T10:15:00Z", "9f2b5c1e0d7a4b3c8e6f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
                               "Addendum 1", "E/e' was 11", "2026-11-22T14:40:00Z", "Page 1 of 1",
                               "FINAL WITH ADDENDUM"})
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\n" << text;
}

TEST(ReportPdfTest, ALongReportFlowsOntoNumberedPages) {
  auto report = testing::SampleTteReport();
  for (int i = 0; i < 80; ++i)
    report.sections[0].values.push_back({fmt::format("x.{}", i), fmt::format("Extra measurement {}", i), {}, "number",
                                         std::to_string(i), {}, "mm", "", "", domain::kSourceTyped, ""});
  report.findings.clear();
  for (int i = 0; i < 60; ++i) report.findings += fmt::format("Sentence {} of a long narrative. ", i);
  auto pdf = RenderReportPdf(report);
  ASSERT_TRUE(pdf) << pdf.error().message;
  auto path = WritePdf(*pdf, "long.pdf");
  const std::string info = testing::RunCommand("pdfinfo " + path.string());
  auto at = info.find("Pages:");
  ASSERT_NE(at, std::string::npos) << info;
  const int pages = std::stoi(info.substr(at + 6));
  EXPECT_GE(pages, 3) << info;
  const std::string text = testing::RunCommand("pdftotext -layout " + path.string() + " -");
  EXPECT_NE(text.find(fmt::format("Page {0} of {0}", pages)), std::string::npos);
  EXPECT_NE(text.find(fmt::format("Page 2 of {}", pages)), std::string::npos);
  EXPECT_NE(text.find("Extra measurement 79"), std::string::npos);
  const std::string page2 = testing::RunCommand("pdftotext -f 2 -l 2 -layout " + path.string() + " -");
  EXPECT_NE(page2.find("Normal range"), std::string::npos) << "the table header is repeated on a new page";
  EXPECT_NE(text.find("Sentence 59 of a long narrative."), std::string::npos);
  EXPECT_GT(DarkPixels(path, pages), 500u);
}

TEST(ReportPdfTest, AMissingFontIsReportedNotACrash) {
  PdfOptions options;
  options.font = "/nonexistent/font.ttf";
  auto pdf = RenderReportPdf(testing::SampleTteReport(), options);
  ASSERT_FALSE(pdf);
  EXPECT_EQ(pdf.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace systole::services
