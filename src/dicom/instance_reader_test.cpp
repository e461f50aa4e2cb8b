#include "dicom/instance_reader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace systole::dicom {
namespace {

using domain::Attribute;

std::filesystem::path TestData(const char* relative) {
  const char* root = std::getenv("SYSTOLE_TESTDATA");
  return std::filesystem::path(root ? root : "../shared/testdata") / relative;
}

const std::string& Get(const ParsedInstance& p, Attribute a) { return p.values[static_cast<std::size_t>(a)]; }

TEST(InstanceReaderTest, ReadsAnEchoCineHeader) {
  auto parsed = ReadInstanceFile(TestData("dicom/cine/dicomparser__IM00001_implicit_le.dcm"));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(Get(*parsed, Attribute::SOPClassUID), "1.2.840.10008.5.1.4.1.1.3.1");
  EXPECT_EQ(Get(*parsed, Attribute::StudyInstanceUID), "1.3.6.1.4.1.25403.166563008443.732.20120418082458.1");
  EXPECT_EQ(Get(*parsed, Attribute::NumberOfFrames), "8");
  EXPECT_EQ(Get(*parsed, Attribute::Rows), "240");
  EXPECT_EQ(Get(*parsed, Attribute::Columns), "320");
  EXPECT_EQ(Get(*parsed, Attribute::PatientName), "US Echo");
  EXPECT_EQ(Get(*parsed, Attribute::TransferSyntaxUID), "1.2.840.10008.1.2");
  EXPECT_TRUE(parsed->has_meta_header);
}

TEST(InstanceReaderTest, ConvertsNamesToUtf8) {
  auto french = ReadInstanceFile(TestData("dicom/other/charset/pydicom__chrFren.dcm"));
  ASSERT_TRUE(french);
  EXPECT_EQ(Get(*french, Attribute::PatientName), "Buc^J\xC3\xA9r\xC3\xB4me");  // Jérôme
  auto russian = ReadInstanceFile(TestData("dicom/other/charset/pydicom__chrRuss.dcm"));
  ASSERT_TRUE(russian);
  EXPECT_EQ(Get(*russian, Attribute::PatientName).substr(0, 2), "\xD0\x9B");  // Cyrillic capital El
}

TEST(InstanceReaderTest, RefusesTruncatedPixelData) {
  auto parsed = ReadInstanceFile(TestData("dicom/malformed/pydicom__MR_truncated.dcm"));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(parsed.error().message.find("not parseable"), std::string::npos) << parsed.error().message;
}

TEST(InstanceReaderTest, RefusesAFileThatIsNotDicom) {
  auto path = std::filesystem::temp_directory_path() / "systole_not_dicom.txt";
  std::ofstream(path) << "hello, this is not a DICOM file at all";
  auto parsed = ReadInstanceFile(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
}

TEST(InstanceReaderTest, WrapsABareDatasetIntoPart10KeepingItsBytes) {
  auto bare = TestData("dicom/malformed/pydicom__ExplVR_LitEndNoMeta.dcm");
  auto parsed = ReadInstanceFile(bare);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE(parsed->has_meta_header);
  auto out = std::filesystem::temp_directory_path() / "systole_wrapped.dcm";
  ASSERT_TRUE(WrapBareDataset(bare, *parsed, out));
  auto reread = ReadInstanceFile(out);
  ASSERT_TRUE(reread) << reread.error().message;
  EXPECT_TRUE(reread->has_meta_header);
  EXPECT_EQ(reread->values, parsed->values);
  // The dataset bytes follow the new meta header unchanged.
  auto bare_size = std::filesystem::file_size(bare);
  auto out_size = std::filesystem::file_size(out);
  ASSERT_GT(out_size, bare_size);
  std::ifstream a(bare, std::ios::binary), b(out, std::ios::binary);
  std::string bare_bytes((std::istreambuf_iterator<char>(a)), {});
  std::string out_bytes((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(out_bytes.substr(out_size - bare_size), bare_bytes);
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace systole::dicom
