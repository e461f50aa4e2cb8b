#include "protocols/hl7/hl7_message.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace systole::hl7 {
namespace {

std::string Sample(const std::string& name) {
  const char* root = std::getenv("SYSTOLE_TESTDATA");
  std::filesystem::path path = std::filesystem::path(root ? root : "../shared/testdata") / "hl7" / name;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << path;
  return text.str();
}

TEST(Hl7MessageTest, ParsesEverySampleWithItsSegments) {
  const char* root = std::getenv("SYSTOLE_TESTDATA");
  std::filesystem::path dir = std::filesystem::path(root ? root : "../shared/testdata") / "hl7";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto m = Message::Parse(text.str());
    ASSERT_TRUE(m) << entry.path() << ": " << m.error().message;
    EXPECT_EQ(m->segments().front().name(), "MSH");
    EXPECT_FALSE(m->ControlId().empty()) << entry.path();
    EXPECT_TRUE(m->Version().starts_with("2.")) << entry.path();
    ++count;
  }
  EXPECT_GE(count, 20);
}

TEST(Hl7MessageTest, ReadsFieldsComponentsRepetitionsAndZSegments) {
  auto m = Message::Parse(Sample("dcm4che__OMI_O23-ImagingOrder.hl7"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->MessageCode(), "OMI");
  EXPECT_EQ(m->TriggerEvent(), "O23");
  EXPECT_EQ(m->Version(), "2.5.1");
  EXPECT_EQ(m->Value("PID", 3, 1), "PID_1");
  EXPECT_EQ(m->Value("PID", 3, 4), "ADT1");
  EXPECT_EQ(m->Value("PID", 5, 2), "Lucy");
  const Segment* ipc = m->Find("IPC");
  ASSERT_NE(ipc, nullptr);
  EXPECT_EQ(m->Repetitions(*ipc, 9), 2u);
  EXPECT_EQ(m->Value(*ipc, 9, 1, 1, 1), "ScheduledStationAET2");
  EXPECT_EQ(m->Value("MSH", 1), "|");
  EXPECT_EQ(m->Value("MSH", 2), "^~\\&");

  auto z = Message::Parse(Sample("dcm4che__ORM_O01-GeneralOrder.hl7"));
  ASSERT_TRUE(z);
  EXPECT_EQ(z->Value("ZDS", 1), "1.2.392.200036.9125.0.198811291108.7");
  EXPECT_EQ(z->Value("OBR", 18), "AccessionNumber");
}

TEST(Hl7MessageTest, ToleratesLineFeedsBomAndStrayCarriageReturns) {
  auto lf = Message::Parse(Sample("fhirconverter__ORM-O01-01.hl7"));  // LF, UTF-8 BOM
  ASSERT_TRUE(lf) << lf.error().message;
  EXPECT_EQ(lf->MessageCode(), "ORM");
  EXPECT_NE(lf->Find("OBR"), nullptr);
  EXPECT_EQ(lf->Value("PID", 3, 1), "PATID1234");
  EXPECT_EQ(lf->Value("PID", 3, 4, 2), "2.16.1");  // subcomponent of PID-3.4
  EXPECT_EQ(lf->Value("PID", 3, 1, 1, 1), "123456789");
  auto crlf = Message::Parse("MSH|^~\\&|A|B|C|D|20240101||ADT^A08|1|P|2.3\r\nPID|||42||Doe^John\r\n");
  ASSERT_TRUE(crlf);
  EXPECT_EQ(crlf->segments().size(), 2u);
  EXPECT_EQ(crlf->Value("PID", 5, 1), "Doe");
  auto pdf = Message::Parse(Sample("dcm4che__ORU_R01-PDF.hl7"));  // a CR inside Base64 continues OBX
  ASSERT_TRUE(pdf);
  for (const auto& s : pdf->segments()) EXPECT_EQ(s.name().size(), 3u);
}

TEST(Hl7MessageTest, CustomDelimitersAndEscapes) {
  auto m = Message::Parse("MSH#*@!%#SEND#FAC#R#F#2024##ADT*A31#77#P#2.4\rPID###9*!*!*AUTH##O!Brien*Ann@Marie#\r");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->delimiters().component, '*');
  EXPECT_EQ(m->TriggerEvent(), "A31");
  EXPECT_EQ(m->Value("PID", 3, 4), "AUTH");
  EXPECT_EQ(m->Value("PID", 5, 2, 1, 0), "Ann");
  EXPECT_EQ(m->Value("PID", 5, 1, 1, 1), "Marie");
  Delimiters d;
  EXPECT_EQ(Unescape("A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\\\X4142\\\\H\\x\\N\\", d), "A|B^C&D~E\\ABx");
  EXPECT_EQ(Unescape(Escape("a|b^c&d~e\\f", d), d), "a|b^c&d~e\\f");
  EXPECT_EQ(ToUtf8("M\xfcller"), "M\xc3\xbcller");
}

TEST(Hl7MessageTest, RefusesWhatIsNotHl7ByName) {
  EXPECT_FALSE(Message::Parse(""));
  EXPECT_NE(Message::Parse("garbage\r").error().message.find("MSH"), std::string::npos);
  EXPECT_NE(Message::Parse("PID|||1\r").error().message.find("MSH"), std::string::npos);
  EXPECT_NE(Message::Parse("MSH|^~|A|B\r").error().message.find("encoding"), std::string::npos);
  EXPECT_NE(Message::Parse("MSH|^^\\&|A|B|C|D|1||ADT^A01|1|P|2.5\r").error().message.find("repeat"), std::string::npos);
  EXPECT_FALSE(Message::Parse("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rpid|x\r"));
}

TEST(Hl7MessageTest, AcksCarryMsaAndErr) {
  auto m = Message::Parse("MSH|^~\\&|RIS|HOSP|PACS|CARD|20240101||ORM^O01|C42|P|2.5.1\r");
  ASSERT_TRUE(m);
  auto ack = BuildAck(&*m, "AE", {Fault::kRequiredFieldMissing, "accession | missing", "OBR-18"}, "SYSTOLE", "CARD",
                      "X1", "20240101120000");
  auto parsed = Message::Parse(ack);
  ASSERT_TRUE(parsed) << ack;
  EXPECT_EQ(parsed->Value("MSH", 3), "SYSTOLE");
  EXPECT_EQ(parsed->Value("MSH", 5), "RIS");
  EXPECT_EQ(parsed->Value("MSH", 9, 1), "ACK");
  EXPECT_EQ(parsed->Value("MSA", 1), "AE");
  EXPECT_EQ(parsed->Value("MSA", 2), "C42");
  EXPECT_EQ(parsed->Value("ERR", 2, 1), "OBR");
  EXPECT_EQ(parsed->Value("ERR", 3, 1), "101");
  EXPECT_EQ(parsed->Value("ERR", 8), "accession | missing");
  auto unparsed = BuildAck(nullptr, "AR", {Fault::kSegmentSequence, "no MSH", "MSH"}, "SYSTOLE", "", "X2", "2024");
  auto p2 = Message::Parse(unparsed);
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->Value("MSA", 1), "AR");
  EXPECT_EQ(p2->Value("MSA", 2), "");
}

}  // namespace
}  // namespace systole::hl7
