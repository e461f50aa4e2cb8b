#include "dicom/frame_decoder.h"

#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <cstdlib>
#include <string>

namespace systole::dicom {
namespace {

// A baseline JPEG (4:2:2, as ultrasound loops are stored) of a flat RGB colour.
std::string FlatJpeg(int width, int height, unsigned char r, unsigned char g, unsigned char b) {
  std::string rgb;
  for (int i = 0; i < width * height; ++i) rgb += {static_cast<char>(r), static_cast<char>(g), static_cast<char>(b)};
  tjhandle handle = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(handle, reinterpret_cast<const unsigned char*>(rgb.data()), width, 0, height, TJPF_RGB,
                             &out, &size, TJSAMP_422, 95, 0);
  std::string jpeg = rc == 0 ? std::string(reinterpret_cast<const char*>(out), size) : std::string();
  tjFree(out);
  tjDestroy(handle);
  return jpeg;
}

FrameTable JpegBaselineTable(std::uint16_t columns, std::uint16_t rows) {
  FrameTable table;
  table.transfer_syntax = "1.2.840.10008.1.2.4.50";
  table.encapsulated = true;
  table.number_of_frames = 1;
  table.rows = rows;
  table.columns = columns;
  table.samples_per_pixel = 3;
  table.bits_allocated = table.bits_stored = 8;
  table.photometric = "YBR_FULL_422";
  return table;
}

// 975x743 RGB is an odd number of bytes (the echo loop of the viewer bench):
// DCMTK refused it ("Illegal call") until the decode buffer was padded.
TEST(FrameDecoder, DecodesJpegFrameOfOddByteSize) {
  const auto jpeg = FlatJpeg(975, 743, 200, 40, 40);
  ASSERT_FALSE(jpeg.empty());
  const auto table = JpegBaselineTable(975, 743);
  ASSERT_EQ(table.FrameBytes() % 2, 1u);
  DecodedLayout layout;
  auto frame = DecodeFrame(table, jpeg, &layout);
  ASSERT_TRUE(frame) << frame.error().message;
  ASSERT_EQ(frame->size(), table.FrameBytes());
  EXPECT_EQ(layout.photometric, "RGB");
  // the last pixel is the flat colour (within JPEG error), not padding
  const auto* p = reinterpret_cast<const unsigned char*>(frame->data()) + frame->size() - 3;
  EXPECT_NEAR(p[0], 200, 6);
  EXPECT_NEAR(p[1], 40, 6);
  EXPECT_NEAR(p[2], 40, 6);
}

TEST(FrameDecoder, DecodesJpegFrameOfEvenByteSize) {
  const auto table = JpegBaselineTable(480, 430);
  auto frame = DecodeFrame(table, FlatJpeg(480, 430, 10, 120, 250));
  ASSERT_TRUE(frame) << frame.error().message;
  EXPECT_EQ(frame->size(), table.FrameBytes());
}

TEST(FrameDecoder, RefusesCorruptJpegWithAnError) {
  auto frame = DecodeFrame(JpegBaselineTable(975, 743), std::string("\xff\xd8\xff\xe0garbage", 11));
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace systole::dicom
