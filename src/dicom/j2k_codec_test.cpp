#include "dicom/j2k_codec.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <gtest/gtest.h>
#include <openjpeg.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>

#include "dicom/frames.h"

namespace systole::dicom {
namespace {

std::filesystem::path TestData(const char* relative) {
  const char* root = std::getenv("SYSTOLE_TESTDATA");
  return std::filesystem::path(root ? root : "../shared/testdata") / relative;
}

// One encapsulated instance as the tests need it: the header's layout and
// each frame's codestream (its fragments concatenated).
struct Encapsulated {
  PixelLayout layout;
  std::string photometric;
  std::vector<std::string> frames;
};

std::uint32_t LittleEndian32(const Uint8* p) { return p[0] | p[1] << 8 | p[2] << 16 | std::uint32_t{p[3]} << 24; }

// Splits the pixel sequence into frames the way PS3.5 A.4 allows: by the
// Basic Offset Table when there is one, else one fragment per frame, else
// (one frame) all fragments.
std::optional<Encapsulated> LoadEncapsulated(const std::filesystem::path& path) {
  DcmFileFormat file;
  if (file.loadFile(path.c_str()).bad()) return std::nullopt;
  DcmDataset& ds = *file.getDataset();
  Encapsulated out;
  Uint16 v = 0;
  ds.findAndGetUint16(DCM_Rows, out.layout.rows);
  ds.findAndGetUint16(DCM_Columns, out.layout.columns);
  ds.findAndGetUint16(DCM_SamplesPerPixel, out.layout.samples_per_pixel);
  ds.findAndGetUint16(DCM_BitsAllocated, out.layout.bits_allocated);
  ds.findAndGetUint16(DCM_BitsStored, out.layout.bits_stored);
  ds.findAndGetUint16(DCM_PixelRepresentation, v);
  out.layout.is_signed = v == 1;
  OFString photometric;
  ds.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  out.photometric = photometric.c_str();
  Sint32 frames = 1;
  if (ds.findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;

  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad()) return std::nullopt;
  DcmPixelSequence* sequence = nullptr;
  if (static_cast<DcmPixelData*>(element)->getEncapsulatedRepresentation(ds.getOriginalXfer(), nullptr, sequence).bad() ||
      sequence == nullptr || sequence->card() < 2)
    return std::nullopt;
  std::vector<std::string> fragments;
  std::vector<std::uint32_t> fragment_offsets;  // from the first fragment's item tag, as the BOT counts
  std::uint32_t offset = 0;
  for (unsigned long i = 1; i < sequence->card(); ++i) {
    DcmPixelItem* item = nullptr;
    Uint8* bytes = nullptr;
    sequence->getItem(item, i);
    item->getUint8Array(bytes);
    fragments.emplace_back(reinterpret_cast<const char*>(bytes), item->getLength());
    fragment_offsets.push_back(offset);
    offset += 8 + item->getLength();
  }
  DcmPixelItem* table = nullptr;
  Uint8* table_bytes = nullptr;
  sequence->getItem(table, 0);
  table->getUint8Array(table_bytes);
  std::vector<std::uint32_t> bot;
  for (Uint32 i = 0; i + 4 <= table->getLength(); i += 4) bot.push_back(LittleEndian32(table_bytes + i));

  if (!bot.empty()) {
    if (bot.size() != static_cast<std::size_t>(frames)) return std::nullopt;
    bot.push_back(offset);
    for (std::size_t f = 0; f < static_cast<std::size_t>(frames); ++f) {
      std::string frame;
      for (std::size_t i = 0; i < fragments.size(); ++i)
        if (fragment_offsets[i] >= bot[f] && fragment_offsets[i] < bot[f + 1]) frame += fragments[i];
      out.frames.push_back(std::move(frame));
    }
  } else if (fragments.size() == static_cast<std::size_t>(frames)) {
    out.frames = fragments;
  } else if (frames == 1) {
    std::string frame;
    for (const auto& fragment : fragments) frame += fragment;
    out.frames.push_back(std::move(frame));
  } else {
    return std::nullopt;
  }
  return out;
}

std::string ReadNativeFrame(const char* relative, std::uint32_t number) {
  auto frames = ReadFrames(TestData(relative), {number});
  if (!frames) return {};
  return frames->front();
}

double MeanAbsoluteError(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return 1e9;
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    sum += std::abs(static_cast<int>(static_cast<unsigned char>(a[i])) - static_cast<unsigned char>(b[i]));
  return sum / static_cast<double>(a.size());
}

bool IsBlank(const std::string& pixels) {
  return pixels.find_first_not_of(pixels.empty() ? '\0' : pixels[0]) == std::string::npos;
}

TEST(J2kCodecTest, KnowsItsTransferSyntaxes) {
  EXPECT_TRUE(IsJ2kTransferSyntax("1.2.840.10008.1.2.4.90"));
  EXPECT_TRUE(IsJ2kTransferSyntax("1.2.840.10008.1.2.4.91"));
  EXPECT_TRUE(IsJ2kTransferSyntax("1.2.840.10008.1.2.4.201"));
  EXPECT_TRUE(IsJ2kTransferSyntax("1.2.840.10008.1.2.4.203"));
  EXPECT_FALSE(IsJ2kTransferSyntax("1.2.840.10008.1.2.4.50"));
}

TEST(J2kCodecTest, LosslessEchoCineEqualsItsNativeSource) {
  auto j2k = LoadEncapsulated(TestData("dicom/cine/derived__IM00001_j2k_lossless.dcm"));
  ASSERT_TRUE(j2k);
  ASSERT_EQ(j2k->frames.size(), 8u);  // empty BOT, one fragment per frame
  for (std::uint32_t f = 0; f < j2k->frames.size(); ++f) {
    std::string photometric = "unset";
    auto decoded = DecodeJ2kFrame(j2k->frames[f], j2k->layout, &photometric);
    ASSERT_TRUE(decoded) << "frame " << f + 1 << ": " << decoded.error().message;
    std::string native = ReadNativeFrame("dicom/cine/dicomparser__IM00001_implicit_le.dcm", f + 1);
    ASSERT_EQ(decoded->size(), 320u * 240 * 3);
    EXPECT_TRUE(*decoded == native) << "frame " << f + 1 << " differs from the native source";
    EXPECT_TRUE(photometric == "RGB" || photometric.empty()) << photometric;
  }
}

TEST(J2kCodecTest, ReversibleColourTransformGivesRgbEqualToNative) {
  auto j2k = LoadEncapsulated(TestData("dicom/other/us-single/pydicomdata__US1_J2KR.dcm"));
  ASSERT_TRUE(j2k);
  ASSERT_EQ(j2k->frames.size(), 1u);  // three fragments, one frame
  EXPECT_EQ(j2k->photometric, "YBR_RCT");
  std::string photometric;
  auto decoded = DecodeJ2kFrame(j2k->frames[0], j2k->layout, &photometric);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(photometric, "RGB");
  EXPECT_TRUE(*decoded == ReadNativeFrame("dicom/other/us-single/pydicomdata__US1_UNCR.dcm", 1));
}

TEST(J2kCodecTest, LossyFilesDecodeToTheRightSizeAndAreNotBlank) {
  auto lossy = LoadEncapsulated(TestData("dicom/other/us-single/pydicomdata__US1_J2KI.dcm"));
  ASSERT_TRUE(lossy);
  EXPECT_EQ(lossy->photometric, "YBR_ICT");
  std::string photometric;
  auto decoded = DecodeJ2kFrame(lossy->frames[0], lossy->layout, &photometric);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->size(), 640u * 480 * 3);
  EXPECT_FALSE(IsBlank(*decoded));
  EXPECT_EQ(photometric, "RGB");  // the irreversible colour transform was inverted
  EXPECT_LT(MeanAbsoluteError(*decoded, ReadNativeFrame("dicom/other/us-single/pydicomdata__US1_UNCR.dcm", 1)), 3.0);
}

TEST(J2kCodecTest, SaysWhenNoColourTransformWasApplied) {
  // GE ultrasound labels the frame YBR_ICT but its codestream has no
  // multi-component transform: the components are the RGB samples as they
  // were (a grey image here, so all three agree).
  auto ge = LoadEncapsulated(TestData("dicom/other/us-single/orthanc__US_GE_jp2k_YBR_ICT.dcm"));
  ASSERT_TRUE(ge);
  EXPECT_EQ(ge->photometric, "YBR_ICT");
  std::string photometric = "unset";
  auto decoded = DecodeJ2kFrame(ge->frames[0], ge->layout, &photometric);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->size(), 1660u * 965 * 3);
  EXPECT_FALSE(IsBlank(*decoded));
  EXPECT_EQ(photometric, "");
  std::string red, green;
  for (std::size_t i = 0; i < decoded->size(); i += 3) {
    red.push_back((*decoded)[i]);
    green.push_back((*decoded)[i + 1]);
  }
  EXPECT_LT(MeanAbsoluteError(red, green), 2.0);
}

TEST(J2kCodecTest, HighThroughputJ2kDecodes) {
  auto lossless = LoadEncapsulated(TestData("dicom/other/pydicomdata__HTJ2KLossless_08_RGB.dcm"));
  ASSERT_TRUE(lossless);
  auto decoded = DecodeJ2kFrame(lossless->frames[0], lossless->layout);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->size(), 640u * 480 * 3);
  EXPECT_FALSE(IsBlank(*decoded));
  // No native copy of this picture is in the test data; the lossy HTJ2K file
  // holds the same picture, so two independent decodes must agree closely.

  auto lossy = LoadEncapsulated(TestData("dicom/other/pydicomdata__HTJ2K_08_RGB.dcm"));
  ASSERT_TRUE(lossy);
  auto lossy_decoded = DecodeJ2kFrame(lossy->frames[0], lossy->layout);
  ASSERT_TRUE(lossy_decoded) << lossy_decoded.error().message;
  EXPECT_LT(MeanAbsoluteError(*lossy_decoded, *decoded), 3.0);
}

TEST(J2kCodecTest, RefusesACodestreamWithADamagedMainHeader) {
  // pydicom's parser test file: the bytes of a Sequence Delimitation Item
  // were written over the SIZ marker (Rsiz FEFF, a width of 3.7e9).
  auto j2k = LoadEncapsulated(TestData("dicom/malformed/pydicom__JPEG2000-embedded-sequence-delimiter.dcm"));
  ASSERT_TRUE(j2k);
  auto decoded = DecodeJ2kFrame(j2k->frames[0], j2k->layout);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
}

// --- Round trips through OpenJPEG's encoder, for sample formats the test files lack.

struct Sink {
  std::string bytes;
  std::size_t position = 0;
};

OPJ_SIZE_T WriteToSink(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->bytes.size() < sink->position + n) sink->bytes.resize(sink->position + n);
  std::memcpy(sink->bytes.data() + sink->position, buffer, n);
  sink->position += n;
  return n;
}
OPJ_OFF_T SkipInSink(OPJ_OFF_T n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  sink->position += static_cast<std::size_t>(n);
  if (sink->bytes.size() < sink->position) sink->bytes.resize(sink->position);
  return n;
}
OPJ_BOOL SeekInSink(OPJ_OFF_T n, void* user) {
  static_cast<Sink*>(user)->position = static_cast<std::size_t>(n);
  return OPJ_TRUE;
}

// Lossless J2K codestream of one grey component.
std::string EncodeGrey(const std::vector<std::int32_t>& values, int width, int height, int precision, bool is_signed) {
  opj_image_cmptparm_t component{};
  component.dx = component.dy = 1;
  component.w = static_cast<OPJ_UINT32>(width);
  component.h = static_cast<OPJ_UINT32>(height);
  component.prec = static_cast<OPJ_UINT32>(precision);
  component.sgnd = is_signed;
  opj_image_t* image = opj_image_create(1, &component, OPJ_CLRSPC_GRAY);
  image->x1 = static_cast<OPJ_UINT32>(width);
  image->y1 = static_cast<OPJ_UINT32>(height);
  std::copy(values.begin(), values.end(), image->comps[0].data);
  opj_cparameters_t parameters;
  opj_set_default_encoder_parameters(&parameters);
  parameters.tcp_numlayers = 1;
  parameters.tcp_rates[0] = 0;  // lossless
  parameters.cp_disto_alloc = 1;
  // Each resolution level halves the size; tiny test images allow few.
  parameters.numresolution = 1;
  while (parameters.numresolution < 6 && (width >> parameters.numresolution) >= 4 && (height >> parameters.numresolution) >= 4)
    ++parameters.numresolution;
  opj_codec_t* codec = opj_create_compress(OPJ_CODEC_J2K);
  opj_setup_encoder(codec, &parameters, image);
  Sink sink;
  opj_stream_t* stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_FALSE);
  opj_stream_set_user_data(stream, &sink, nullptr);
  opj_stream_set_write_function(stream, WriteToSink);
  opj_stream_set_skip_function(stream, SkipInSink);
  opj_stream_set_seek_function(stream, SeekInSink);
  bool ok = opj_start_compress(codec, image, stream) && opj_encode(codec, stream) && opj_end_compress(codec, stream);
  opj_stream_destroy(stream);
  opj_destroy_codec(codec);
  opj_image_destroy(image);
  return ok ? sink.bytes : std::string();
}

std::vector<std::int32_t> Ramp(int count, std::int32_t low, std::int32_t high) {
  std::vector<std::int32_t> values(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) values[static_cast<std::size_t>(i)] = low + static_cast<std::int32_t>((std::int64_t{high - low} * i) / (count - 1));
  return values;
}

std::int32_t Cell16(const std::string& pixels, std::size_t i, bool is_signed) {
  auto raw = static_cast<std::uint16_t>(static_cast<unsigned char>(pixels[2 * i]) | static_cast<unsigned char>(pixels[2 * i + 1]) << 8);
  return is_signed ? static_cast<std::int16_t>(raw) : raw;
}

TEST(J2kCodecTest, SignedTwelveBitsAreSignExtendedToSixteen) {
  const int w = 64, h = 32;
  auto values = Ramp(w * h, -2048, 2047);
  std::string codestream = EncodeGrey(values, w, h, 12, true);
  ASSERT_FALSE(codestream.empty());
  PixelLayout layout{.rows = h, .columns = w, .samples_per_pixel = 1, .bits_allocated = 16, .bits_stored = 12, .is_signed = true};
  std::string photometric = "unset";
  auto decoded = DecodeJ2kFrame(codestream, layout, &photometric);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(photometric, "");
  ASSERT_EQ(decoded->size(), std::size_t{w} * h * 2);
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(Cell16(*decoded, i, true), values[i]) << i;
}

TEST(J2kCodecTest, UnsignedTwelveBitsAreNotSignExtended) {
  const int w = 64, h = 32;
  auto values = Ramp(w * h, 0, 4095);
  PixelLayout layout{.rows = h, .columns = w, .samples_per_pixel = 1, .bits_allocated = 16, .bits_stored = 12, .is_signed = false};
  auto decoded = DecodeJ2kFrame(EncodeGrey(values, w, h, 12, false), layout);
  ASSERT_TRUE(decoded) << decoded.error().message;
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(Cell16(*decoded, i, false), values[i]) << i;
}

TEST(J2kCodecTest, SixteenBitExtremesSurvive) {
  const int w = 32, h = 16;
  auto signed_values = Ramp(w * h, -32768, 32767);
  PixelLayout layout{.rows = h, .columns = w, .samples_per_pixel = 1, .bits_allocated = 16, .bits_stored = 16, .is_signed = true};
  auto decoded = DecodeJ2kFrame(EncodeGrey(signed_values, w, h, 16, true), layout);
  ASSERT_TRUE(decoded) << decoded.error().message;
  for (std::size_t i = 0; i < signed_values.size(); ++i) ASSERT_EQ(Cell16(*decoded, i, true), signed_values[i]) << i;

  auto unsigned_values = Ramp(w * h, 0, 65535);
  layout.is_signed = false;
  decoded = DecodeJ2kFrame(EncodeGrey(unsigned_values, w, h, 16, false), layout);
  ASSERT_TRUE(decoded) << decoded.error().message;
  for (std::size_t i = 0; i < unsigned_values.size(); ++i) ASSERT_EQ(Cell16(*decoded, i, false), unsigned_values[i]) << i;
}

TEST(J2kCodecTest, SignedEightBit) {
  const int w = 16, h = 16;
  auto values = Ramp(w * h, -128, 127);
  PixelLayout layout{.rows = h, .columns = w, .samples_per_pixel = 1, .bits_allocated = 8, .bits_stored = 8, .is_signed = true};
  auto decoded = DecodeJ2kFrame(EncodeGrey(values, w, h, 8, true), layout);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(static_cast<signed char>((*decoded)[i]), values[i]) << i;
}

TEST(J2kCodecTest, UnsignedCodestreamForASignedHeaderIsReadAsTwosComplement) {
  // Some encoders store signed pixels' bit patterns as unsigned J2K samples.
  const int w = 4, h = 1;
  std::vector<std::int32_t> stored = {0, 1, 0xFFF, 0x800};  // 12-bit patterns of 0, 1, -1, -2048
  PixelLayout layout{.rows = h, .columns = w, .samples_per_pixel = 1, .bits_allocated = 16, .bits_stored = 12, .is_signed = true};
  auto decoded = DecodeJ2kFrame(EncodeGrey(stored, w, h, 12, false), layout);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(Cell16(*decoded, 0, true), 0);
  EXPECT_EQ(Cell16(*decoded, 1, true), 1);
  EXPECT_EQ(Cell16(*decoded, 2, true), -1);
  EXPECT_EQ(Cell16(*decoded, 3, true), -2048);
}

// --- Refusals

TEST(J2kCodecTest, RefusesAFrameThatDoesNotMatchTheHeader) {
  auto j2k = LoadEncapsulated(TestData("dicom/cine/derived__IM00001_j2k_lossless.dcm"));
  ASSERT_TRUE(j2k);
  PixelLayout wrong = j2k->layout;
  wrong.rows = 241;
  EXPECT_EQ(DecodeJ2kFrame(j2k->frames[0], wrong).error().code, ErrorCode::kInvalidArgument);
  wrong = j2k->layout;
  wrong.samples_per_pixel = 1;
  EXPECT_EQ(DecodeJ2kFrame(j2k->frames[0], wrong).error().code, ErrorCode::kInvalidArgument);
  wrong = j2k->layout;
  wrong.bits_allocated = 12;
  EXPECT_EQ(DecodeJ2kFrame(j2k->frames[0], wrong).error().code, ErrorCode::kInvalidArgument);
  // 16-bit samples do not fit 8-bit cells.
  PixelLayout narrow{.rows = 16, .columns = 32, .samples_per_pixel = 1, .bits_allocated = 8, .bits_stored = 8};
  auto result = DecodeJ2kFrame(EncodeGrey(Ramp(32 * 16, 0, 65535), 32, 16, 16, false), narrow);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("precision"), std::string::npos) << result.error().message;
}

TEST(J2kCodecTest, GarbageAndTruncationAreErrorsNotCrashes) {
  auto j2k = LoadEncapsulated(TestData("dicom/cine/derived__IM00001_j2k_lossless.dcm"));
  ASSERT_TRUE(j2k);
  const PixelLayout layout = j2k->layout;
  const std::string& good = j2k->frames[0];

  EXPECT_FALSE(DecodeJ2kFrame("", layout));
  EXPECT_FALSE(DecodeJ2kFrame("not a codestream at all", layout));
  EXPECT_FALSE(DecodeJ2kFrame(good.substr(0, 4), layout));
  EXPECT_FALSE(DecodeJ2kFrame(good.substr(0, 60), layout));
  auto truncated = DecodeJ2kFrame(good.substr(0, good.size() / 2), layout);
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::kInvalidArgument);

  // Random bytes behind a valid main header, and random bit flips: any
  // outcome but a crash is fine (some flips land in entropy-coded data).
  std::mt19937 random(42);
  std::string noisy = good.substr(0, 200);
  for (int i = 0; i < 20000; ++i) noisy.push_back(static_cast<char>(random()));
  (void)DecodeJ2kFrame(noisy, layout);
  for (int trial = 0; trial < 60; ++trial) {
    std::string flipped = good;
    for (int k = 0; k < 8; ++k) flipped[random() % flipped.size()] ^= static_cast<char>(1 << (random() % 8));
    auto result = DecodeJ2kFrame(flipped, layout);
    if (result) {
      ASSERT_EQ(result->size(), 320u * 240 * 3);
    }
  }
}

TEST(J2kCodecTest, ReportsDecodeTime) {
  auto j2k = LoadEncapsulated(TestData("dicom/other/us-single/pydicomdata__US1_J2KR.dcm"));
  ASSERT_TRUE(j2k);
  const int runs = 10;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) ASSERT_TRUE(DecodeJ2kFrame(j2k->frames[0], j2k->layout));
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / runs;
  std::printf("[ timing   ] 640x480 RGB lossless J2K frame: %.1f ms\n", ms);
  RecordProperty("decode_ms_640x480_rgb", std::to_string(ms));
}

}  // namespace
}  // namespace systole::dicom
