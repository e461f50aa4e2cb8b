#include "dicom/video_codec.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace systole::dicom {
namespace {

namespace fs = std::filesystem;

// Test inputs are made by the ffmpeg CLI in a fresh directory per test.
class VideoCodecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("systole_video_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Path(const std::string& name) const { return dir_ / name; }

  static std::string Run(const std::string& command, int* status = nullptr) {
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return out;
    char buffer[4096];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    int rc = pclose(pipe);
    if (status) *status = rc;
    return out;
  }

  static std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  static void WriteFile(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }

  // A 30-frame 320x240 test pattern as an elementary stream; "" if ffmpeg failed.
  std::string MakeStream(const std::string& encoder, const std::string& format, const std::string& extra = "") {
    fs::path out = Path("in." + format);
    int status = -1;
    Run("ffmpeg -v error -y -f lavfi -i testsrc=size=320x240:rate=30 -frames:v 30 -c:v " + encoder +
            " -pix_fmt yuv420p " + extra + " -f " + format + " " + out.string() + " 2>&1",
        &status);
    return status == 0 ? ReadFile(out) : std::string();
  }

  // ffmpeg's own decoding of `file` to RGB24 frames of `bytes` each.
  std::vector<std::string> ReferenceFrames(const fs::path& file, std::size_t bytes) {
    fs::path raw = Path("reference.rgb");
    Run("ffmpeg -v error -y -i " + file.string() + " -f rawvideo -pix_fmt rgb24 " + raw.string() + " 2>&1");
    std::string all = ReadFile(raw);
    std::vector<std::string> frames;
    for (std::size_t at = 0; at + bytes <= all.size(); at += bytes) frames.push_back(all.substr(at, bytes));
    return frames;
  }

  nlohmann::json Probe(const std::string& mp4) {
    fs::path file = Path("probe.mp4");
    WriteFile(file, mp4);
    std::string out = Run("ffprobe -v error -show_streams -show_format -count_frames -of json " + file.string());
    auto json = nlohmann::json::parse(out, nullptr, false);
    return json.is_discarded() ? nlohmann::json::object() : json;
  }

  // Presentation timestamps of the decoded pictures, in decoder output order.
  std::vector<long> FramePts(const std::string& mp4) {
    fs::path file = Path("pts.mp4");
    WriteFile(file, mp4);
    std::string out = Run("ffprobe -v error -select_streams v:0 -show_entries frame=pts -of csv=p=0 " + file.string());
    std::vector<long> pts;
    std::size_t at = 0;
    while (at < out.size()) {
      std::size_t end = out.find('\n', at);
      if (end == std::string::npos) end = out.size();
      if (end > at) pts.push_back(std::stol(out.substr(at, end - at)));
      at = end + 1;
    }
    return pts;
  }

  static bool HasEncoder(const std::string& name) {
    return Run("ffmpeg -hide_banner -encoders 2>/dev/null").find(" " + name + " ") != std::string::npos;
  }

  fs::path dir_;
};

double MeanAbsoluteError(const std::string& a, const std::string& b);

// Each decoded frame matches ffmpeg's own decoding of the same picture (up
// to YUV->RGB rounding and chroma interpolation) better than any other frame
// of it: right pictures, right order.
void ExpectSameFrames(const std::vector<std::string>& mine, const std::vector<std::string>& reference) {
  ASSERT_EQ(mine.size(), reference.size());
  for (std::size_t i = 0; i < mine.size(); ++i) {
    double own = MeanAbsoluteError(mine[i], reference[i]);
    EXPECT_LT(own, 4.0) << "frame " << i;
    for (std::size_t j = 0; j < reference.size(); ++j)
      if (j != i) EXPECT_LT(own, MeanAbsoluteError(mine[i], reference[j])) << "frame " << i << " looks like " << j;
  }
}

double MeanAbsoluteError(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return 1e9;
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    sum += std::abs(static_cast<int>(static_cast<unsigned char>(a[i])) - static_cast<unsigned char>(b[i]));
  return sum / static_cast<double>(a.size());
}

// Frames of a moving bright square on a dark gradient.
std::vector<std::string> MovingSquare(int count, int rows, int columns, int samples) {
  std::vector<std::string> frames;
  for (int f = 0; f < count; ++f) {
    std::string frame(static_cast<std::size_t>(rows) * columns * samples, '\0');
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < columns; ++x) {
        bool inside = x >= 4 * f % columns && x < 4 * f % columns + 40 && y >= 30 && y < 70;
        for (int s = 0; s < samples; ++s)
          frame[(static_cast<std::size_t>(y) * columns + x) * samples + s] =
              static_cast<char>(inside ? 230 - 40 * s : (x + y + 20 * s) % 128);
      }
    frames.push_back(std::move(frame));
  }
  return frames;
}

TEST(VideoCodecOfTest, MapsTransferSyntaxes) {
  EXPECT_EQ(VideoCodecOf("1.2.840.10008.1.2.4.100"), VideoCodec::kMpeg2);
  EXPECT_EQ(VideoCodecOf("1.2.840.10008.1.2.4.101"), VideoCodec::kMpeg2);
  for (const char* uid : {"1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.103", "1.2.840.10008.1.2.4.104",
                          "1.2.840.10008.1.2.4.105", "1.2.840.10008.1.2.4.106"})
    EXPECT_EQ(VideoCodecOf(uid), VideoCodec::kH264) << uid;
  EXPECT_EQ(VideoCodecOf("1.2.840.10008.1.2.4.107"), VideoCodec::kHevc);
  EXPECT_EQ(VideoCodecOf("1.2.840.10008.1.2.4.108"), VideoCodec::kHevc);
  EXPECT_EQ(VideoCodecOf("1.2.840.10008.1.2.4.50"), std::nullopt);
  EXPECT_EQ(VideoCodecOf("1.2.840.10008.1.2.4.1000"), std::nullopt);
  EXPECT_EQ(VideoCodecOf(""), std::nullopt);
}

TEST_F(VideoCodecTest, DecodesH264InPresentationOrder) {
  std::string stream = MakeStream("libx264", "h264");  // x264's defaults use B-frames
  ASSERT_FALSE(stream.empty());
  auto video = DecodeVideo(stream, VideoCodec::kH264);
  ASSERT_TRUE(video) << video.error().message;
  EXPECT_EQ(video->columns, 320);
  EXPECT_EQ(video->rows, 240);
  ASSERT_EQ(video->frames.size(), 30u);
  ExpectSameFrames(video->frames, ReferenceFrames(Path("in.h264"), 320 * 240 * 3));
  EXPECT_NE(video->frames[0], video->frames[1]);
}

TEST_F(VideoCodecTest, DecodesMpeg2) {
  std::string stream = MakeStream("mpeg2video", "mpeg2video", "-bf 2");
  ASSERT_FALSE(stream.empty());
  auto video = DecodeVideo(stream, VideoCodec::kMpeg2);
  ASSERT_TRUE(video) << video.error().message;
  EXPECT_EQ(video->columns, 320);
  EXPECT_EQ(video->rows, 240);
  ASSERT_EQ(video->frames.size(), 30u);
  ExpectSameFrames(video->frames, ReferenceFrames(Path("in.mpeg2video"), 320 * 240 * 3));
}

TEST_F(VideoCodecTest, DecodesHevc) {
  if (!HasEncoder("libx265")) GTEST_SKIP() << "this ffmpeg has no libx265 encoder to make an HEVC stream";
  std::string stream = MakeStream("libx265", "hevc", "-x265-params log-level=error");
  ASSERT_FALSE(stream.empty());
  auto video = DecodeVideo(stream, VideoCodec::kHevc);
  ASSERT_TRUE(video) << video.error().message;
  EXPECT_EQ(video->columns, 320);
  EXPECT_EQ(video->rows, 240);
  ASSERT_EQ(video->frames.size(), 30u);
  ExpectSameFrames(video->frames, ReferenceFrames(Path("in.hevc"), 320 * 240 * 3));
}

TEST_F(VideoCodecTest, EncodesAnMp4ThatFfprobeAccepts) {
  auto frames = MovingSquare(60, 480, 640, 3);
  auto start = std::chrono::steady_clock::now();
  auto mp4 = EncodeMp4(frames, 480, 640, 3, 30.0);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(mp4) << mp4.error().message;
  std::printf("[ timing   ] 60 frames 640x480 RGB -> MP4: %.0f ms, %zu bytes\n", ms, mp4->size());
  RecordProperty("encode_ms_60x640x480", std::to_string(ms));
  // +faststart: the index (moov) comes before the media data (mdat).
  EXPECT_LT(mp4->find("moov"), mp4->find("mdat"));
  auto probe = Probe(*mp4);
  ASSERT_TRUE(probe.contains("streams")) << probe.dump();
  const auto& stream = probe["streams"][0];
  EXPECT_EQ(stream["codec_name"], "h264");
  EXPECT_EQ(stream["width"], 640);
  EXPECT_EQ(stream["height"], 480);
  EXPECT_EQ(stream["pix_fmt"], "yuv420p");
  EXPECT_EQ(stream["nb_read_frames"], "60");
  EXPECT_EQ(stream["avg_frame_rate"], "30/1");
  EXPECT_NEAR(std::stod(probe["format"]["duration"].get<std::string>()), 2.0, 1e-3);
}

TEST_F(VideoCodecTest, KeepsAFractionalFrameRateExact) {
  auto mp4 = EncodeMp4(MovingSquare(20, 120, 160, 3), 120, 160, 3, 28.6);
  ASSERT_TRUE(mp4) << mp4.error().message;
  auto probe = Probe(*mp4);
  ASSERT_TRUE(probe.contains("streams")) << probe.dump();
  EXPECT_EQ(probe["streams"][0]["avg_frame_rate"], "143/5");
  EXPECT_EQ(probe["streams"][0]["nb_read_frames"], "20");
  EXPECT_NEAR(std::stod(probe["format"]["duration"].get<std::string>()), 20 / 28.6, 1e-3);
}

TEST_F(VideoCodecTest, HonoursPerFrameDurations) {
  std::vector<double> times;
  for (int i = 0; i < 10; ++i) times.push_back(i % 2 ? 50.0 : 30.0);  // 400 ms in all
  auto mp4 = EncodeMp4(MovingSquare(10, 120, 160, 1), 120, 160, 1, 0, times);
  ASSERT_TRUE(mp4) << mp4.error().message;
  auto probe = Probe(*mp4);
  ASSERT_TRUE(probe.contains("streams")) << probe.dump();
  EXPECT_EQ(probe["streams"][0]["nb_read_frames"], "10");
  EXPECT_NEAR(std::stod(probe["format"]["duration"].get<std::string>()), 0.4, 1e-3);
  auto pts = FramePts(*mp4);  // 90 kHz ticks
  ASSERT_EQ(pts.size(), 10u);
  for (std::size_t i = 1; i < pts.size(); ++i) EXPECT_EQ(pts[i] - pts[i - 1], i % 2 ? 2700 : 4500) << i;

  // Equal frame times are a constant rate.
  auto constant = EncodeMp4(MovingSquare(10, 120, 160, 1), 120, 160, 1, 0, std::vector<double>(10, 40.0));
  ASSERT_TRUE(constant);
  EXPECT_EQ(Probe(*constant)["streams"][0]["avg_frame_rate"], "25/1");
}

TEST_F(VideoCodecTest, GreyFramesSurviveARoundTrip) {
  // Odd size: the MP4 is padded to 102x76.
  const int rows = 75, columns = 101;
  std::vector<std::string> frames;
  for (int f = 0; f < 12; ++f) {
    std::string frame(rows * columns, '\0');
    for (int i = 0; i < rows * columns; ++i) frame[i] = static_cast<char>((i % columns) * 2 + f * 3);
    frames.push_back(std::move(frame));
  }
  auto mp4 = EncodeMp4(frames, rows, columns, 1, 25);
  ASSERT_TRUE(mp4) << mp4.error().message;
  auto probe = Probe(*mp4);
  EXPECT_EQ(probe["streams"][0]["width"], 102);
  EXPECT_EQ(probe["streams"][0]["height"], 76);

  WriteFile(Path("round.mp4"), *mp4);
  int status = -1;
  Run("ffmpeg -v error -y -i " + Path("round.mp4").string() + " -c copy -bsf:v h264_mp4toannexb -f h264 " +
          Path("round.h264").string() + " 2>&1",
      &status);
  ASSERT_EQ(status, 0);
  auto video = DecodeVideo(ReadFile(Path("round.h264")), VideoCodec::kH264);
  ASSERT_TRUE(video) << video.error().message;
  ASSERT_EQ(video->frames.size(), frames.size());
  ASSERT_EQ(video->columns, 102);
  ASSERT_EQ(video->rows, 76);
  for (std::size_t f = 0; f < frames.size(); ++f) {
    std::string grey(rows * columns, '\0');  // the red sample of each original pixel
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < columns; ++x) grey[y * columns + x] = video->frames[f][(y * 102 + x) * 3];
    EXPECT_LT(MeanAbsoluteError(grey, frames[f]), 3.0) << "frame " << f;
  }
}

TEST_F(VideoCodecTest, RemuxesH264WithoutReencoding) {
  std::string stream = MakeStream("libx264", "h264");
  ASSERT_FALSE(stream.empty());
  auto start = std::chrono::steady_clock::now();
  auto mp4 = RemuxToMp4(stream, VideoCodec::kH264, 30);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(mp4) << mp4.error().message;
  std::printf("[ timing   ] remux of 30 frames 320x240 H.264: %.1f ms\n", ms);
  auto probe = Probe(*mp4);
  ASSERT_TRUE(probe.contains("streams")) << probe.dump();
  const auto& s = probe["streams"][0];
  EXPECT_EQ(s["codec_name"], "h264");
  EXPECT_EQ(s["width"], 320);
  EXPECT_EQ(s["height"], 240);
  EXPECT_EQ(s["nb_read_frames"], "30");
  EXPECT_EQ(s["avg_frame_rate"], "30/1");
  EXPECT_LT(mp4->find("moov"), mp4->find("mdat"));
  // Timestamps follow the B-frame reordering: pictures come out of the
  // decoder exactly one frame apart.
  auto pts = FramePts(*mp4);
  ASSERT_EQ(pts.size(), 30u);
  for (std::size_t i = 1; i < pts.size(); ++i) EXPECT_EQ(pts[i] - pts[i - 1], pts[1] - pts[0]) << i;
  EXPECT_GT(pts[1] - pts[0], 0);
  // And the pictures are the stream's own.
  auto mine = DecodeVideo(stream, VideoCodec::kH264);
  ASSERT_TRUE(mine);
  ExpectSameFrames(mine->frames, ReferenceFrames(Path("probe.mp4"), 320 * 240 * 3));
}

TEST_F(VideoCodecTest, RemuxesHevc) {
  if (!HasEncoder("libx265")) GTEST_SKIP() << "this ffmpeg has no libx265 encoder to make an HEVC stream";
  std::string stream = MakeStream("libx265", "hevc", "-x265-params log-level=error");
  ASSERT_FALSE(stream.empty());
  auto mp4 = RemuxToMp4(stream, VideoCodec::kHevc, 28.6);
  ASSERT_TRUE(mp4) << mp4.error().message;
  auto probe = Probe(*mp4);
  ASSERT_TRUE(probe.contains("streams")) << probe.dump();
  const auto& s = probe["streams"][0];
  EXPECT_EQ(s["codec_name"], "hevc");
  EXPECT_EQ(s["codec_tag_string"], "hvc1");
  EXPECT_EQ(s["nb_read_frames"], "30");
  EXPECT_EQ(s["avg_frame_rate"], "143/5");
  auto pts = FramePts(*mp4);
  ASSERT_EQ(pts.size(), 30u);
  for (std::size_t i = 1; i < pts.size(); ++i) EXPECT_EQ(pts[i] - pts[i - 1], pts[1] - pts[0]) << i;
}

TEST_F(VideoCodecTest, RefusesWhatItCannotDo) {
  auto frames = MovingSquare(2, 16, 16, 3);
  EXPECT_EQ(EncodeMp4({}, 16, 16, 3, 30).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeMp4(frames, 16, 16, 2, 30).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeMp4(frames, 16, 17, 3, 30).error().code, ErrorCode::kInvalidArgument);  // wrong frame size
  EXPECT_EQ(EncodeMp4(frames, 16, 16, 3, 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeMp4(frames, 16, 16, 3, 30, {40.0}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeMp4(frames, 16, 16, 3, 30, {40.0, -1.0}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(RemuxToMp4("whatever", VideoCodec::kMpeg2, 30).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(RemuxToMp4("whatever", VideoCodec::kH264, 0).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(VideoCodecTest, CorruptStreamsAreErrorsNotCrashes) {
  std::mt19937 random(7);
  std::string garbage(100000, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  for (VideoCodec codec : {VideoCodec::kMpeg2, VideoCodec::kH264, VideoCodec::kHevc}) {
    EXPECT_FALSE(DecodeVideo("", codec));
    EXPECT_FALSE(DecodeVideo(garbage, codec));
  }
  EXPECT_FALSE(RemuxToMp4(garbage, VideoCodec::kH264, 30));
  EXPECT_FALSE(RemuxToMp4("", VideoCodec::kHevc, 30));

  std::string stream = MakeStream("libx264", "h264");
  ASSERT_FALSE(stream.empty());
  // Starting in the middle: no parameter sets, nothing decodable.
  EXPECT_FALSE(DecodeVideo(stream.substr(stream.size() / 2), VideoCodec::kH264));
  EXPECT_FALSE(RemuxToMp4(stream.substr(stream.size() / 2), VideoCodec::kH264, 30));
  // Wrong codec.
  EXPECT_FALSE(DecodeVideo(stream, VideoCodec::kMpeg2));
  // Truncation and bit flips: an error or fewer/damaged-but-sized frames, never a crash.
  auto truncated = DecodeVideo(stream.substr(0, stream.size() * 2 / 3), VideoCodec::kH264);
  if (truncated) {
    EXPECT_LT(truncated->frames.size(), 30u);
  }
  for (int trial = 0; trial < 30; ++trial) {
    std::string flipped = stream;
    for (int k = 0; k < 20; ++k) flipped[random() % flipped.size()] ^= static_cast<char>(1 << (random() % 8));
    auto result = DecodeVideo(flipped, VideoCodec::kH264);
    if (result) {
      for (const auto& frame : result->frames) ASSERT_EQ(frame.size(), std::size_t{result->rows} * result->columns * 3);
    }
    (void)RemuxToMp4(flipped, VideoCodec::kH264, 30);
  }
}

// The video stream of a DICOM file: every fragment after the (empty) Basic
// Offset Table, concatenated, as PS3.5 8.2.5 stores it.
std::string VideoStreamOf(const fs::path& file, std::string* transfer_syntax, Sint32* frames) {
  DcmFileFormat format;
  if (format.loadFile(file.c_str()).bad()) return {};
  DcmDataset& ds = *format.getDataset();
  *transfer_syntax = DcmXfer(ds.getOriginalXfer()).getXferID();
  ds.findAndGetSint32(DCM_NumberOfFrames, *frames);
  DcmElement* element = nullptr;
  DcmPixelSequence* sequence = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() ||
      static_cast<DcmPixelData*>(element)->getEncapsulatedRepresentation(ds.getOriginalXfer(), nullptr, sequence).bad())
    return {};
  std::string stream;
  for (unsigned long i = 1; i < sequence->card(); ++i) {
    DcmPixelItem* item = nullptr;
    Uint8* bytes = nullptr;
    sequence->getItem(item, i);
    item->getUint8Array(bytes);
    stream.append(reinterpret_cast<const char*>(bytes), item->getLength());
  }
  return stream;
}

TEST_F(VideoCodecTest, DecodesVideoDicomFromTheGenerator) {
  // tools/make_video_dicom.py, found from this file's path.
  fs::path tool = fs::path(__FILE__).parent_path().parent_path().parent_path() / "tools" / "make_video_dicom.py";
  if (!fs::exists(tool) || Run("/usr/bin/python3 -c 'import pydicom, numpy' 2>&1 && echo ok").find("ok") == std::string::npos)
    GTEST_SKIP() << "needs " << tool << " and Debian's python3-pydicom and python3-numpy";
  struct Case {
    const char* codec;
    const char* size;
    const char* fps;
    int frames;
    const char* transfer_syntax;
    VideoCodec decoder;
  };
  for (const Case& c : {Case{"h264", "320x240", "28.6", 24, "1.2.840.10008.1.2.4.102", VideoCodec::kH264},
                        Case{"mpeg2", "720x480", "30000/1001", 12, "1.2.840.10008.1.2.4.100", VideoCodec::kMpeg2}}) {
    fs::path out = Path(std::string(c.codec) + ".dcm");
    int status = -1;
    std::string log = Run("/usr/bin/python3 " + tool.string() + " --out " + out.string() + " --codec " + c.codec +
                              " --size " + c.size + " --fps " + c.fps + " --frames " + std::to_string(c.frames) + " 2>&1",
                          &status);
    ASSERT_EQ(status, 0) << log;
    std::string transfer_syntax;
    Sint32 frames = 0;
    std::string stream = VideoStreamOf(out, &transfer_syntax, &frames);
    EXPECT_EQ(transfer_syntax, c.transfer_syntax);
    EXPECT_EQ(frames, c.frames);
    EXPECT_EQ(VideoCodecOf(transfer_syntax), c.decoder);
    auto video = DecodeVideo(stream, c.decoder);
    ASSERT_TRUE(video) << c.codec << ": " << video.error().message;
    EXPECT_EQ(video->frames.size(), static_cast<std::size_t>(c.frames)) << c.codec;
    EXPECT_EQ(std::to_string(video->columns) + "x" + std::to_string(video->rows), c.size);
    EXPECT_NE(video->frames.front(), video->frames.back());
    if (c.decoder == VideoCodec::kH264) {
      auto mp4 = RemuxToMp4(stream, c.decoder, 28.6);
      ASSERT_TRUE(mp4) << mp4.error().message;
      EXPECT_EQ(Probe(*mp4)["streams"][0]["nb_read_frames"], std::to_string(c.frames));
    }
  }
}

}  // namespace
}  // namespace systole::dicom
