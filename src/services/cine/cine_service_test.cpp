#include "services/cine/cine_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>
#include <tuple>

#include "dicom/frame_table.h"
#include "dicom/frames.h"
#include "dicom/render.h"

namespace systole::services {
namespace {

std::filesystem::path TestData(const std::string& relative) {
  const char* root = std::getenv("SYSTOLE_TESTDATA");
  return std::filesystem::path(root ? root : "../shared/testdata") / relative;
}

const std::string kNative = "dicom/cine/dicomparser__IM00001_implicit_le.dcm";

// The reference: DCMTK decoding the whole file.
std::vector<std::string> DcmtkFrames(const std::string& relative) {
  auto frames = dicom::ReadFrames(TestData(relative), {});
  EXPECT_TRUE(frames) << frames.error().message;
  return frames ? *frames : std::vector<std::string>{};
}

TEST(FrameTableTest, NativeFramesLieEndToEnd) {
  auto table = dicom::ScanFrameTable(TestData(kNative));
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_FALSE(table->encapsulated);
  EXPECT_EQ(table->number_of_frames, 8u);
  EXPECT_EQ(table->rows, 240);
  EXPECT_EQ(table->columns, 320);
  ASSERT_EQ(table->frames.size(), 8u);
  EXPECT_EQ(table->frames[1][0].offset, table->frames[0][0].offset + table->FrameBytes());
}

TEST(FrameTableTest, FragmentsWithoutOffsetTableAreGroupedByJpegMarkers) {
  // 2+ fragments per frame and an empty Basic Offset Table.
  auto table = dicom::ScanFrameTable(TestData("dicom/cine/dicomparser__IM00001_jpeg_baseline_fragmented_nobot.dcm"));
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_TRUE(table->encapsulated);
  EXPECT_EQ(table->frames.size(), table->number_of_frames);
  std::size_t fragments = 0;
  for (const auto& f : table->frames) fragments += f.size();
  EXPECT_GT(fragments, table->frames.size());
}

TEST(FrameTableTest, InstanceWithoutPixelDataIsNotFound) {
  auto table = dicom::ScanFrameTable(TestData("dicom/sr/pydicom__test-SR.dcm"));
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().code, ErrorCode::kNotFound);
}

class LosslessSyntaxTest : public ::testing::TestWithParam<std::string> {};

// The same loop stored losslessly compressed decodes, frame by frame from offsets,
// to exactly the native loop's pixels.
TEST_P(LosslessSyntaxTest, DecodedFramesEqualTheNativeLoop) {
  CineService cine(CineLimits{});
  auto native = DcmtkFrames(kNative);
  ASSERT_EQ(native.size(), 8u);
  auto set = cine.Frames(TestData(GetParam()), {}, CineService::Form::kDecoded);
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->frames.size(), native.size());
  EXPECT_EQ(set->transfer_syntax, "1.2.840.10008.1.2.1");
  for (std::size_t i = 0; i < native.size(); ++i) EXPECT_TRUE(*set->frames[i] == native[i]) << "frame " << i + 1;
  // Served again from the decoded cache: same bytes.
  auto again = cine.Frames(TestData(GetParam()), {3}, CineService::Form::kDecoded);
  ASSERT_TRUE(again);
  EXPECT_TRUE(*again->frames[0] == native[2]);
}

INSTANTIATE_TEST_SUITE_P(Cine, LosslessSyntaxTest,
                         ::testing::Values("dicom/cine/derived__IM00001_jpeg_lossless_sv1.dcm",
                                           "dicom/cine/derived__IM00001_jpegls_lossless.dcm",
                                           "dicom/cine/derived__IM00001_rle.dcm", kNative));

TEST(CineServiceTest, LossyFramesEqualDcmtksWholeFileDecode) {
  const std::string file = "dicom/cine/dicomparser__IM00001_jpeg_baseline_fragmented_nobot.dcm";
  CineService cine(CineLimits{});
  auto reference = DcmtkFrames(file);
  auto set = cine.Frames(TestData(file), {}, CineService::Form::kDecoded);
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->frames.size(), reference.size());
  for (std::size_t i = 0; i < reference.size(); ++i) EXPECT_TRUE(*set->frames[i] == reference[i]) << "frame " << i + 1;
}

TEST(CineServiceTest, StoredFormIsTheCompressedCodestream) {
  CineService cine(CineLimits{});
  auto set =
      cine.Frames(TestData("dicom/cine/derived__IM00001_jpegls_lossless.dcm"), {1, 8}, CineService::Form::kStored);
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->transfer_syntax, "1.2.840.10008.1.2.4.80");
  ASSERT_EQ(set->frames.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*set->frames[1])[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>((*set->frames[1])[1]), 0xD8);  // SOI
  EXPECT_LT(set->frames[0]->size(), 240u * 320u * 3);
}

TEST(CineServiceTest, FrameOutOfRangeIsNotFound) {
  CineService cine(CineLimits{});
  auto set = cine.Frames(TestData(kNative), {9}, CineService::Form::kDecoded);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, ErrorCode::kNotFound);
  dicom::RenderOptions options;
  options.frame = 0;
  EXPECT_EQ(cine.Rendered(TestData(kNative), options).error().code, ErrorCode::kNotFound);
}

TEST(CineServiceTest, RendersJpegAndPngAndCachesThem) {
  CineService cine(CineLimits{});
  dicom::RenderOptions options;
  options.frame = 4;
  auto jpeg = cine.Rendered(TestData("dicom/cine/derived__IM00001_rle.dcm"), options);
  ASSERT_TRUE(jpeg) << jpeg.error().message;
  EXPECT_EQ((*jpeg)->substr(0, 2), "\xFF\xD8");
  auto again = cine.Rendered(TestData("dicom/cine/derived__IM00001_rle.dcm"), options);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get(), jpeg->get());  // the cached bytes, not a new render
  options.format = dicom::RenderOptions::Format::kPng;
  auto png = cine.Rendered(TestData("dicom/cine/derived__IM00001_rle.dcm"), options);
  ASSERT_TRUE(png) << png.error().message;
  EXPECT_EQ((*png)->substr(1, 3), "PNG");
}

// Frame N renders to the same pixels whichever way it was stored or decoded.
TEST(CineServiceTest, RenderingIsTheSameForLosslessSyntaxesAndForDcmtksOwnPath) {
  CineService cine(CineLimits{});
  dicom::RenderOptions options;
  options.frame = 5;
  options.format = dicom::RenderOptions::Format::kPng;
  auto native = cine.Rendered(TestData(kNative), options);
  auto rle = cine.Rendered(TestData("dicom/cine/derived__IM00001_rle.dcm"), options);
  auto jpeg_ls = cine.Rendered(TestData("dicom/cine/derived__IM00001_jpegls_lossless.dcm"), options);
  ASSERT_TRUE(native && rle && jpeg_ls);
  EXPECT_TRUE(**native == **rle);
  EXPECT_TRUE(**native == **jpeg_ls);
  for (const char* file :
       {"dicom/other/us-single/orthanc__US_Mindray_RLE_YBR_FULL_planar1.dcm",
        "dicom/cine/octave-dicom__US-PAL-8-10x-echo_rle.dcm", "dicom/cine/pydicom__examples_ybr_color.dcm"}) {
    options.frame = 1;
    auto ours = cine.Rendered(TestData(file), options);
    auto reference = dicom::RenderFromFile(TestData(file), options);
    ASSERT_TRUE(ours) << file << ": " << ours.error().message;
    ASSERT_TRUE(reference) << file << ": " << reference.error().message;
    auto encoded = dicom::EncodeImage(*reference, options);
    ASSERT_TRUE(encoded);
    EXPECT_TRUE(**ours == *encoded) << file;
  }
}

// Mean absolute difference of two 8-bit images' samples.
double MeanDifference(const std::string& a, const std::string& b) {
  EXPECT_EQ(a.size(), b.size());
  double sum = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    sum += std::abs(static_cast<unsigned char>(a[i]) - static_cast<unsigned char>(b[i]));
  return sum / static_cast<double>(std::max<std::size_t>(1, a.size()));
}

// The exact area average of an RGB image made `factor` times smaller (each output pixel the mean
// of its factor × factor block).
std::string BlockAverage(const dicom::DisplayImage& image, std::uint32_t factor) {
  const std::uint32_t w = image.width / factor, h = image.height / factor;
  std::string out(static_cast<std::size_t>(w) * h * 3, '\0');
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        double sum = 0;
        for (std::uint32_t dy = 0; dy < factor; ++dy)
          for (std::uint32_t dx = 0; dx < factor; ++dx)
            sum +=
                static_cast<unsigned char>(image.pixels[((y * factor + dy) * image.width + x * factor + dx) * 3 + c]);
        out[(y * w + x) * 3 + c] = static_cast<char>(std::lround(sum / (factor * factor)));
      }
  return out;
}

// A viewport rendering of a baseline JPEG loop is libjpeg-turbo's scaled decode (DecodeJpegToFit)
// encoded, not DCMTK's decode and scaling: the size DCMTK gives, and the frame's area average
// (checked exactly for viewports the frame is a whole number of times larger than).
TEST(CineServiceTest, ViewportRenderingOfABaselineJpegLoopIsItsAreaAverage) {
  CineService cine(CineLimits{});
  for (auto [file, vw, vh, factor] :
       {std::tuple{"dicom/cine/orthanc__Issue16.dcm", 240u, 240u, 2u},
        std::tuple{"dicom/cine/orthanc__Issue16.dcm", 0u, 86u, 5u},
        std::tuple{"dicom/cine/pydicom__examples_ybr_color.dcm", 160u, 160u, 2u},
        std::tuple{"dicom/cine/dicomparser__IM00001_jpeg_baseline_fragmented_nobot.dcm", 64u, 64u, 5u},
        std::tuple{"dicom/cine/dicomparser__IM00001_jpeg_baseline_fragmented_nobot.dcm", 80u, 0u, 4u}}) {
    const std::string name = std::string(file) + " in " + std::to_string(vw) + "x" + std::to_string(vh);
    dicom::RenderOptions options;
    options.frame = 2;
    auto stored = cine.Frames(TestData(file), {options.frame}, CineService::Form::kStored);
    ASSERT_TRUE(stored) << name << ": " << stored.error().message;
    auto full = dicom::DecodeJpegToFit(*stored->frames.front(), options);
    ASSERT_TRUE(full) << name << ": " << full.error().message;
    options.max_width = vw;
    options.max_height = vh;
    auto fit = dicom::DecodeJpegToFit(*stored->frames.front(), options);
    auto dcmtk = dicom::RenderFromFile(TestData(file), options);
    ASSERT_TRUE(fit) << name << ": " << fit.error().message;
    ASSERT_TRUE(dcmtk) << name << ": " << dcmtk.error().message;
    ASSERT_EQ(fit->width, dcmtk->width) << name;
    ASSERT_EQ(fit->height, dcmtk->height) << name;
    ASSERT_EQ(fit->width, full->width / factor) << name;
    const std::string exact = BlockAverage(*full, factor);
    // DCMTK's own decode and scaling: 0.14-0.31 (its JPEG decoder is not libjpeg-turbo).
    EXPECT_LT(MeanDifference(fit->pixels, exact), 0.5) << name;
    auto rendered = cine.Rendered(TestData(file), options);
    ASSERT_TRUE(rendered) << name << ": " << rendered.error().message;
    EXPECT_TRUE(**rendered == *dicom::EncodeImage(*fit, options)) << name;
  }
}

// A viewport the frame fits in already: the stored frame, as without one.
TEST(CineServiceTest, ViewportTheFrameFitsInServesTheStoredFrame) {
  CineService cine(CineLimits{});
  dicom::RenderOptions options;
  auto plain = cine.Rendered(TestData("dicom/cine/orthanc__Issue16.dcm"), options);
  options.max_width = 480;
  options.max_height = 1000;
  auto fitting = cine.Rendered(TestData("dicom/cine/orthanc__Issue16.dcm"), options);
  ASSERT_TRUE(plain && fitting);
  auto stored = cine.Frames(TestData("dicom/cine/orthanc__Issue16.dcm"), {1}, CineService::Form::kStored);
  ASSERT_TRUE(stored);
  EXPECT_TRUE(**fitting == *stored->frames.front());
  EXPECT_TRUE(**plain == **fitting);
}

// A frame libjpeg-turbo refuses on the viewport path goes to DCMTK's path, which says why: an error,
// not a picture of garbage, and the loop's other frames still render at the viewport's size.
TEST(CineServiceTest, ViewportRenderingOfACorruptJpegFrameIsAnErrorAndSparesTheOthers) {
  const auto source = TestData("dicom/cine/orthanc__Issue16.dcm");
  const auto dir = std::filesystem::temp_directory_path() / ("systole-cine-corrupt-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "corrupt.dcm";
  {
    CineService reader(CineLimits{});
    auto first = reader.Frames(source, {1}, CineService::Form::kStored);
    ASSERT_TRUE(first) << first.error().message;
    const std::string& frame = *first->frames.front();
    std::ifstream in(source, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    const auto at = bytes.find(frame);
    ASSERT_NE(at, std::string::npos);
    // Past SOI, the tables and frame header become zeros (the frame keeps its length and place).
    std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(at) + 2, std::min<std::size_t>(600, frame.size() - 4),
                '\0');
    std::ofstream(file, std::ios::binary) << bytes;
  }
  CineService cine(CineLimits{});
  dicom::RenderOptions options;
  options.max_width = options.max_height = 240;
  options.frame = 1;
  auto broken = cine.Rendered(file, options);
  ASSERT_FALSE(broken) << "a corrupt frame rendered to " << (*broken)->size() << " bytes";
  EXPECT_NE(broken.error().message.find("frame cannot be decoded"), std::string::npos) << broken.error().message;
  options.frame = 2;
  auto next = cine.Rendered(file, options);
  ASSERT_TRUE(next) << next.error().message;
  auto fit = dicom::DecodeJpegToFit(*cine.Frames(file, {2}, CineService::Form::kStored)->frames.front(), options);
  ASSERT_TRUE(fit);
  EXPECT_TRUE(**next == *dicom::EncodeImage(*fit, options));
  std::filesystem::remove_all(dir);
}

// Found by the viewer: concurrent renders of one instance share its cached header, and DCMTK
// walks an item with a cursor stored inside it, so unguarded copies lost attributes ("Rows missing").
TEST(CineServiceTest, ConcurrentRendersOfOneInstanceAllSucceedAndAgree) {
  CineService reference_cine(CineLimits{});
  std::vector<std::string> reference;
  dicom::RenderOptions options;
  options.format = dicom::RenderOptions::Format::kPng;
  for (std::uint32_t f = 1; f <= 8; ++f) {
    options.frame = f;
    auto png = reference_cine.Rendered(TestData(kNative), options);
    ASSERT_TRUE(png) << png.error().message;
    reference.push_back(**png);
  }
  for (int round = 0; round < 3; ++round) {
    CineLimits no_rendered_cache;
    no_rendered_cache.rendered_bytes = 0;  // every request renders
    CineService cine(no_rendered_cache);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 6; ++t)
      threads.emplace_back([&, t] {
        dicom::RenderOptions mine;
        mine.format = dicom::RenderOptions::Format::kPng;
        for (std::uint32_t i = 0; i < 8; ++i) {
          mine.frame = 1 + (i + static_cast<std::uint32_t>(t)) % 8;
          auto png = cine.Rendered(TestData(kNative), mine);
          if (!png || **png != reference[mine.frame - 1]) ++failures;
        }
      });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0) << "round " << round;
  }
}

TEST(CineServiceTest, DecodedCacheStaysWithinItsBound) {
  CineLimits limits;
  limits.decoded_bytes = 3 * 240 * 320 * 3;  // room for about three colour frames
  CineService cine(limits);
  auto set = cine.Frames(TestData("dicom/cine/derived__IM00001_rle.dcm"), {}, CineService::Form::kDecoded);
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_LE(cine.stats().decoded_bytes, limits.decoded_bytes);
  EXPECT_GT(cine.stats().decoded_entries, 0u);
}

}  // namespace
}  // namespace systole::services
