// Writing MP4: H.264 encoding of cine frames, and remuxing stored streams.
//
// The file goes through a temporary file because +faststart moves the index
// to the front by re-opening the output by name after the last frame, which
// a memory-only AVIOContext cannot do.
#include <fmt/core.h>
#include <stdlib.h>
#include <unistd.h>

extern "C" {
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <numeric>

#include "dicom/video_codec.h"
#include "dicom/video_codec_libav.h"

namespace systole::dicom {
namespace {

using namespace libav;

// A file under $TMPDIR (or /tmp) removed when this goes out of scope.
class TempFile {
 public:
  static Result<TempFile> Create() {
    const char* dir = std::getenv("TMPDIR");
    std::string name = std::string(dir && *dir ? dir : "/tmp") + "/systole-video-XXXXXX";
    int fd = mkstemp(name.data());
    if (fd < 0) return Fail(ErrorCode::kUnavailable, "cannot create a temporary file for MP4 output in " + name);
    close(fd);
    return TempFile(std::move(name));
  }
  TempFile(TempFile&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

  Result<std::string> Read() const {
    std::ifstream in(path_, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return Fail(ErrorCode::kUnavailable, "cannot read back the MP4 temporary file");
    return bytes;
  }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// An MP4 file being written with one video stream.
class Mp4Output {
 public:
  // Opens `path` and adds the stream; call Start once its parameters are set.
  static Result<Mp4Output> Open(const std::string& path) {
    AVFormatContext* raw = nullptr;
    int error = avformat_alloc_output_context2(&raw, nullptr, "mp4", path.c_str());
    if (error < 0 || !raw) return Fail(ErrorCode::kInternal, "libavformat has no MP4 muxer: " + ErrorText(error));
    OutputPtr context(raw);
    if (!avformat_new_stream(context.get(), nullptr)) return Fail(ErrorCode::kUnavailable, "out of memory for MP4 stream");
    if ((error = avio_open(&context->pb, path.c_str(), AVIO_FLAG_WRITE)) < 0)
      return Fail(ErrorCode::kUnavailable, "cannot open the MP4 temporary file: " + ErrorText(error));
    return Mp4Output(std::move(context));
  }

  AVStream& stream() { return *context_->streams[0]; }
  bool WantsGlobalHeader() const { return context_->oformat->flags & AVFMT_GLOBALHEADER; }

  Status Start() {
    AVDictionary* options = nullptr;
    av_dict_set(&options, "movflags", "+faststart", 0);
    int error = avformat_write_header(context_.get(), &options);
    av_dict_free(&options);
    if (error < 0) return Fail(ErrorCode::kInvalidArgument, "cannot start the MP4: " + ErrorText(error));
    return {};
  }

  // Writes a packet whose timestamps are in `time_base`; takes its data.
  Status Write(AVPacket& packet, AVRational time_base) {
    av_packet_rescale_ts(&packet, time_base, stream().time_base);
    packet.stream_index = 0;
    int error = av_interleaved_write_frame(context_.get(), &packet);
    if (error < 0) return Fail(ErrorCode::kInvalidArgument, "cannot write an MP4 packet: " + ErrorText(error));
    return {};
  }

  Status Finish() {
    int error = av_write_trailer(context_.get());
    if (error < 0) return Fail(ErrorCode::kUnavailable, "cannot finish the MP4: " + ErrorText(error));
    avio_closep(&context_->pb);
    return {};
  }

 private:
  explicit Mp4Output(OutputPtr context) : context_(std::move(context)) {}
  OutputPtr context_;
};

// When each frame is shown, in units of `time_base`.
struct Timing {
  AVRational time_base{1, 1};
  AVRational frame_rate{0, 1};  // 0/1 when frames have different durations
  std::vector<std::int64_t> pts, durations;
};

Result<Timing> PlanTiming(std::size_t frames, double frames_per_second, const std::vector<double>& frame_times_ms) {
  Timing timing;
  if (!frame_times_ms.empty()) {
    if (frame_times_ms.size() != frames)
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{} frame times for {} frames", frame_times_ms.size(), frames));
    for (double t : frame_times_ms)
      if (!(t > 0 && t < 3.6e6)) return Fail(ErrorCode::kInvalidArgument, fmt::format("frame time {} ms is not usable", t));
    auto [low, high] = std::minmax_element(frame_times_ms.begin(), frame_times_ms.end());
    if (*high - *low < 1e-6) {
      frames_per_second = 1000.0 / *low;  // all equal: a constant rate
    } else {
      // 90 kHz, the MPEG clock: fine enough for any frame time in ms. Rounding
      // the running sum (not each duration) keeps the total exact.
      timing.time_base = {1, 90000};
      double elapsed_ms = 0;
      for (double t : frame_times_ms) {
        timing.pts.push_back(std::llround(elapsed_ms * 90.0));
        elapsed_ms += t;
      }
      for (std::size_t i = 0; i < frames; ++i)
        timing.durations.push_back((i + 1 < frames ? timing.pts[i + 1] : std::llround(elapsed_ms * 90.0)) - timing.pts[i]);
      return timing;
    }
  }
  if (!(frames_per_second > 0 && frames_per_second <= 1000))
    return Fail(ErrorCode::kInvalidArgument, fmt::format("frame rate {} is not usable", frames_per_second));
  // The time base is one frame, so a rate such as 28.6 (143/5) stays exact.
  timing.frame_rate = av_d2q(frames_per_second, 100000);
  timing.time_base = av_inv_q(timing.frame_rate);
  for (std::size_t i = 0; i < frames; ++i) {
    timing.pts.push_back(static_cast<std::int64_t>(i));
    timing.durations.push_back(1);
  }
  return timing;
}

// One input frame grown to even dimensions by repeating its last column/row.
std::string PadToEven(const std::string& frame, int rows, int columns, int samples, int out_rows, int out_columns) {
  if (rows == out_rows && columns == out_columns) return frame;
  const std::size_t in_line = static_cast<std::size_t>(columns) * samples;
  const std::size_t out_line = static_cast<std::size_t>(out_columns) * samples;
  std::string out(out_line * out_rows, '\0');
  for (int y = 0; y < out_rows; ++y) {
    const char* src = frame.data() + std::min(y, rows - 1) * in_line;
    char* dst = out.data() + y * out_line;
    std::copy(src, src + in_line, dst);
    if (out_columns > columns) std::copy(src + in_line - samples, src + in_line, dst + in_line);
  }
  return out;
}

// Sends one frame (nullptr: flush) and writes every packet the encoder releases.
Status EncodeAndWrite(AVCodecContext& encoder, const AVFrame* frame, AVPacket& packet, Mp4Output& output,
                      const std::map<std::int64_t, std::int64_t>& duration_of) {
  int error = avcodec_send_frame(&encoder, frame);
  if (error < 0) return Fail(ErrorCode::kInternal, "H.264 encoder refused a frame: " + ErrorText(error));
  for (;;) {
    error = avcodec_receive_packet(&encoder, &packet);
    if (error == AVERROR(EAGAIN) || error == AVERROR_EOF) return {};
    if (error < 0) return Fail(ErrorCode::kInternal, "H.264 encoding failed: " + ErrorText(error));
    // B-frames reorder packets; each keeps the duration of its own picture.
    if (auto it = duration_of.find(packet.pts); it != duration_of.end()) packet.duration = it->second;
    Status written = output.Write(packet, encoder.time_base);
    av_packet_unref(&packet);
    SYSTOLE_RETURN_IF_ERROR(written);
  }
}

// Annex B NAL units of `access_unit` that are parameter sets (H.264 SPS/PPS,
// HEVC VPS/SPS/PPS), each behind a 4-byte start code: the MP4 sample entry
// (avcC/hvcC) is built from them.
std::string ParameterSets(std::string_view access_unit, VideoCodec codec) {
  std::string out;
  std::size_t i = 0;
  auto next_start = [&](std::size_t from) {
    for (std::size_t k = from; k + 3 <= access_unit.size(); ++k)
      if (access_unit[k] == 0 && access_unit[k + 1] == 0 && access_unit[k + 2] == 1) return k;
    return std::string_view::npos;
  };
  for (i = next_start(0); i != std::string_view::npos;) {
    std::size_t begin = i + 3;
    std::size_t end = next_start(begin);
    std::size_t stop = end == std::string_view::npos ? access_unit.size() : end;
    while (stop > begin && access_unit[stop - 1] == 0) --stop;  // zero byte of a 4-byte start code
    if (stop > begin) {
      auto header = static_cast<unsigned char>(access_unit[begin]);
      bool wanted = codec == VideoCodec::kH264 ? ((header & 0x1F) == 7 || (header & 0x1F) == 8)
                                               : ((header >> 1 & 0x3F) >= 32 && (header >> 1 & 0x3F) <= 34);
      if (wanted) {
        out.append("\0\0\0\1", 4);
        out.append(access_unit.substr(begin, stop - begin));
      }
    }
    i = end;
  }
  return out;
}

struct AccessUnit {
  std::string data;
  int order_count = 0;  // picture order count: display order within a coded video sequence
  bool key = false;
};

}  // namespace

Result<std::string> EncodeMp4(const std::vector<std::string>& frames, std::uint16_t rows, std::uint16_t columns,
                              int samples_per_pixel, double frames_per_second, const std::vector<double>& frame_times_ms) {
  QuietLogging();
  if (frames.empty()) return Fail(ErrorCode::kInvalidArgument, "no frames to encode");
  if (samples_per_pixel != 1 && samples_per_pixel != 3)
    return Fail(ErrorCode::kInvalidArgument, fmt::format("cannot encode {} samples per pixel", samples_per_pixel));
  if (rows == 0 || columns == 0) return Fail(ErrorCode::kInvalidArgument, "frames have no pixels");
  const std::size_t frame_size = std::size_t{rows} * columns * samples_per_pixel;
  for (std::size_t i = 0; i < frames.size(); ++i)
    if (frames[i].size() != frame_size)
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("frame {} has {} bytes, {}x{}x{} needs {}", i + 1, frames[i].size(), columns, rows,
                              samples_per_pixel, frame_size));
  auto timing = PlanTiming(frames.size(), frames_per_second, frame_times_ms);
  if (!timing) return std::unexpected(timing.error());

  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) return Fail(ErrorCode::kInternal, "libavcodec was built without libx264");
  auto temp = TempFile::Create();
  if (!temp) return std::unexpected(temp.error());
  auto output = Mp4Output::Open(temp->path());
  if (!output) return std::unexpected(output.error());

  const int out_columns = columns + (columns & 1), out_rows = rows + (rows & 1);
  CodecContextPtr encoder(avcodec_alloc_context3(codec));
  FramePtr yuv(av_frame_alloc());
  PacketPtr packet(av_packet_alloc());
  if (!encoder || !yuv || !packet) return Fail(ErrorCode::kUnavailable, "out of memory for the H.264 encoder");
  encoder->width = out_columns;
  encoder->height = out_rows;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder->time_base = timing->time_base;
  const double rate = timing->frame_rate.num > 0 ? av_q2d(timing->frame_rate)
                                                 : frames.size() * 90000.0 / std::accumulate(timing->durations.begin(),
                                                                                           timing->durations.end(), 0.0);
  encoder->framerate = timing->frame_rate.num > 0 ? timing->frame_rate : av_d2q(rate, 1000);
  encoder->gop_size = std::clamp(static_cast<int>(std::lround(rate)), 1, 250);  // a key frame about every second
  encoder->thread_count = 2;
  // Signal the conversion below: BT.601 matrix, limited range.
  encoder->colorspace = AVCOL_SPC_SMPTE170M;
  encoder->color_range = AVCOL_RANGE_MPEG;
  if (output->WantsGlobalHeader()) encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* options = nullptr;
  av_dict_set(&options, "preset", "veryfast", 0);
  av_dict_set(&options, "crf", "18", 0);
  int error = avcodec_open2(encoder.get(), codec, &options);
  av_dict_free(&options);
  if (error < 0) return Fail(ErrorCode::kInternal, "cannot open libx264: " + ErrorText(error));

  AVStream& stream = output->stream();
  if ((error = avcodec_parameters_from_context(stream.codecpar, encoder.get())) < 0)
    return Fail(ErrorCode::kInternal, "cannot describe the MP4 stream: " + ErrorText(error));
  stream.time_base = encoder->time_base;
  if (timing->frame_rate.num > 0) stream.avg_frame_rate = timing->frame_rate;
  SYSTOLE_RETURN_IF_ERROR(output->Start());

  yuv->format = AV_PIX_FMT_YUV420P;
  yuv->width = out_columns;
  yuv->height = out_rows;
  if ((error = av_frame_get_buffer(yuv.get(), 0)) < 0)
    return Fail(ErrorCode::kUnavailable, "out of memory for a video frame: " + ErrorText(error));
  const AVPixelFormat source_format = samples_per_pixel == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
  SwsPtr sws(sws_getContext(out_columns, out_rows, source_format, out_columns, out_rows, AV_PIX_FMT_YUV420P,
                            SWS_BILINEAR | SWS_ACCURATE_RND, nullptr, nullptr, nullptr));
  if (!sws) return Fail(ErrorCode::kInternal, "cannot set up the YUV conversion");
  // Grey and RGB input are full range; the output is BT.601 limited range.
  const int* bt601 = sws_getCoefficients(SWS_CS_ITU601);
  sws_setColorspaceDetails(sws.get(), bt601, 1, bt601, 0, 0, 1 << 16, 1 << 16);

  std::map<std::int64_t, std::int64_t> duration_of;
  for (std::size_t i = 0; i < frames.size(); ++i) duration_of[timing->pts[i]] = timing->durations[i];
  for (std::size_t i = 0; i < frames.size(); ++i) {
    std::string source = PadToEven(frames[i], rows, columns, samples_per_pixel, out_rows, out_columns);
    if ((error = av_frame_make_writable(yuv.get())) < 0)
      return Fail(ErrorCode::kUnavailable, "out of memory for a video frame: " + ErrorText(error));
    const uint8_t* planes[4] = {reinterpret_cast<const uint8_t*>(source.data()), nullptr, nullptr, nullptr};
    const int lines[4] = {out_columns * samples_per_pixel, 0, 0, 0};
    sws_scale(sws.get(), planes, lines, 0, out_rows, yuv->data, yuv->linesize);
    yuv->pts = timing->pts[i];
    SYSTOLE_RETURN_IF_ERROR(EncodeAndWrite(*encoder, yuv.get(), *packet, *output, duration_of));
  }
  SYSTOLE_RETURN_IF_ERROR(EncodeAndWrite(*encoder, nullptr, *packet, *output, duration_of));
  SYSTOLE_RETURN_IF_ERROR(output->Finish());
  return temp->Read();
}

Result<std::string> RemuxToMp4(std::string_view stream, VideoCodec codec, double frames_per_second) {
  QuietLogging();
  if (codec != VideoCodec::kH264 && codec != VideoCodec::kHevc)
    return Fail(ErrorCode::kInvalidArgument, "only H.264 and HEVC streams can be put into MP4 as they are");
  if (!(frames_per_second > 0 && frames_per_second <= 1000))
    return Fail(ErrorCode::kInvalidArgument, fmt::format("frame rate {} is not usable", frames_per_second));

  // Split the stream into access units with the codec's parser, which also
  // reads each picture's order count and whether it is a key frame.
  const AVCodec* decoder = avcodec_find_decoder(CodecId(codec));
  if (!decoder) return Fail(ErrorCode::kInternal, "libavcodec does not know this video codec");
  ParserPtr parser(av_parser_init(decoder->id));
  CodecContextPtr context(avcodec_alloc_context3(decoder));
  if (!parser || !context) return Fail(ErrorCode::kUnavailable, "out of memory for the video parser");
  std::string padded(stream);
  padded.append(AV_INPUT_BUFFER_PADDING_SIZE, '\0');
  const auto* data = reinterpret_cast<const uint8_t*>(padded.data());
  std::size_t left = stream.size();
  std::vector<AccessUnit> units;
  for (bool flushed = false; !flushed;) {
    flushed = left == 0;
    uint8_t* out = nullptr;
    int out_size = 0;
    int used = av_parser_parse2(parser.get(), context.get(), &out, &out_size, flushed ? nullptr : data,
                                static_cast<int>(std::min<std::size_t>(left, 1 << 20)), AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
    if (used < 0) return Fail(ErrorCode::kInvalidArgument, "video stream cannot be parsed: " + ErrorText(used));
    data += used;
    left -= static_cast<std::size_t>(used);
    if (out_size > 0)
      units.push_back({std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(out_size)),
                       parser->output_picture_number, parser->key_frame == 1});
  }
  if (units.empty() || parser->width <= 0 || parser->height <= 0)
    return Fail(ErrorCode::kInvalidArgument, "video stream holds no picture");
  std::string parameter_sets = ParameterSets(units.front().data, codec);
  if (parameter_sets.empty())
    return Fail(ErrorCode::kInvalidArgument, "video stream does not start with its parameter sets");

  // Presentation index of each access unit: order counts rank pictures from
  // one key frame to the next (they restart at IDR pictures).
  std::vector<std::int64_t> presentation(units.size());
  for (std::size_t begin = 0; begin < units.size();) {
    std::size_t end = begin + 1;
    while (end < units.size() && !units[end].key) ++end;
    std::vector<std::size_t> order(end - begin);
    std::iota(order.begin(), order.end(), begin);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return units[a].order_count < units[b].order_count; });
    for (std::size_t rank = 0; rank < order.size(); ++rank) presentation[order[rank]] = static_cast<std::int64_t>(begin + rank);
    begin = end;
  }
  // Decode timestamps are shifted back so none is after its presentation.
  std::int64_t delay = 0;
  for (std::size_t i = 0; i < units.size(); ++i) delay = std::max(delay, static_cast<std::int64_t>(i) - presentation[i]);

  auto temp = TempFile::Create();
  if (!temp) return std::unexpected(temp.error());
  auto output = Mp4Output::Open(temp->path());
  if (!output) return std::unexpected(output.error());
  const AVRational rate = av_d2q(frames_per_second, 100000);
  const AVRational time_base = av_inv_q(rate);
  AVStream& out_stream = output->stream();
  AVCodecParameters& parameters = *out_stream.codecpar;
  parameters.codec_type = AVMEDIA_TYPE_VIDEO;
  parameters.codec_id = decoder->id;
  parameters.width = parser->width;
  parameters.height = parser->height;
  parameters.format = parser->format;
  // 'hvc1' (parameter sets in the sample entry) is what Safari plays.
  if (codec == VideoCodec::kHevc) parameters.codec_tag = MKTAG('h', 'v', 'c', '1');
  parameters.extradata = static_cast<uint8_t*>(av_mallocz(parameter_sets.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!parameters.extradata) return Fail(ErrorCode::kUnavailable, "out of memory for MP4 parameters");
  std::copy(parameter_sets.begin(), parameter_sets.end(), parameters.extradata);
  parameters.extradata_size = static_cast<int>(parameter_sets.size());
  out_stream.time_base = time_base;
  out_stream.avg_frame_rate = rate;
  SYSTOLE_RETURN_IF_ERROR(output->Start());

  PacketPtr packet(av_packet_alloc());
  if (!packet) return Fail(ErrorCode::kUnavailable, "out of memory for a packet");
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (av_new_packet(packet.get(), static_cast<int>(units[i].data.size())) < 0)
      return Fail(ErrorCode::kUnavailable, "out of memory for a packet");
    std::copy(units[i].data.begin(), units[i].data.end(), packet->data);
    packet->pts = presentation[i];
    packet->dts = static_cast<std::int64_t>(i) - delay;
    packet->duration = 1;
    if (units[i].key) packet->flags |= AV_PKT_FLAG_KEY;
    Status written = output->Write(*packet, time_base);
    av_packet_unref(packet.get());
    SYSTOLE_RETURN_IF_ERROR(written);
  }
  SYSTOLE_RETURN_IF_ERROR(output->Finish());
  return temp->Read();
}

}  // namespace systole::dicom
