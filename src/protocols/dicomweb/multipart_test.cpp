#include <gtest/gtest.h>

#include "protocols/dicomweb/internal.h"

namespace systole::dicomweb {
namespace {

TEST(MultipartTest, SplitsPartsAndKeepsBinaryBodies) {
  const std::string body = "preamble\r\n--b1\r\nContent-Type: application/dicom\r\n\r\nAB\r\n\r\n--b1\r\n\r\nsecond\r\n--b1--\r\n";
  auto parts = SplitMultipart(body, "b1");
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].content_type, "application/dicom");
  EXPECT_EQ((*parts)[0].body, "AB\r\n");
  EXPECT_EQ((*parts)[1].body, "second");
}

TEST(MultipartTest, RefusesMalformedBodies) {
  EXPECT_FALSE(SplitMultipart("no delimiter here", "b1"));
  EXPECT_FALSE(SplitMultipart("--b1\r\nContent-Type: x\r\n\r\nbody without end", "b1"));
  EXPECT_FALSE(SplitMultipart("--b1\r\nheaders never end", "b1"));
  EXPECT_FALSE(SplitMultipart("--b1--", ""));
}

TEST(MediaTypeTest, ReadsQuotedAndBareParameters) {
  const std::string header = "multipart/related; type=\"application/dicom\"; boundary=abc123";
  EXPECT_EQ(MediaTypeParameter(header, "type"), "application/dicom");
  EXPECT_EQ(MediaTypeParameter(header, "boundary"), "abc123");
  EXPECT_EQ(MediaTypeParameter(header, "transfer-syntax"), "");
}

TEST(MediaTypeTest, SplitsAnAcceptHeaderIntoRanges) {
  auto ranges = AcceptedRanges(
      "application/json,  Multipart/Related; type=\"image/jpeg\"; transfer-syntax=1.2.840.10008.1.2.4.50 ,"
      "multipart/related, */*;q=0.1,");
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(ranges[0].type, "application/json");
  EXPECT_FALSE(ranges[0].multipart);
  EXPECT_EQ(ranges[1].type, "image/jpeg");
  EXPECT_TRUE(ranges[1].multipart);
  EXPECT_EQ(ranges[1].transfer_syntax, "1.2.840.10008.1.2.4.50");
  EXPECT_EQ(ranges[2].type, "");  // multipart without a type parameter
  EXPECT_TRUE(ranges[2].multipart);
  EXPECT_EQ(ranges[3].type, "*/*");
  EXPECT_TRUE(AcceptsJson(""));
  EXPECT_TRUE(AcceptsJson("text/html, application/dicom+json"));
  EXPECT_FALSE(AcceptsJson("image/jpeg, text/html"));
}

TEST(JsonValueTest, EncodesByVr) {
  EXPECT_EQ(JsonValue("PN", "DOE^JOHN").dump(), R"({"Value":[{"Alphabetic":"DOE^JOHN"}],"vr":"PN"})");
  EXPECT_EQ(JsonValue("IS", "12").dump(), R"({"Value":[12],"vr":"IS"})");
  EXPECT_EQ(JsonValue("CS", "US\\SR").dump(), R"({"Value":["US","SR"],"vr":"CS"})");
  EXPECT_EQ(JsonValue("DA", "").dump(), R"({"vr":"DA"})");
}

}  // namespace
}  // namespace systole::dicomweb
