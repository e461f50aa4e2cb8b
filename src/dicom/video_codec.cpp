// Transfer syntax mapping and decoding of video elementary streams.
#include "dicom/video_codec.h"

#include <fmt/core.h>

extern "C" {
#include <libavutil/log.h>
}

#include <mutex>

#include "dicom/video_codec_libav.h"

namespace systole::dicom {
namespace libav {

void QuietLogging() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_ERROR); });
}

AVCodecID CodecId(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kMpeg2: return AV_CODEC_ID_MPEG2VIDEO;
    case VideoCodec::kH264: return AV_CODEC_ID_H264;
    case VideoCodec::kHevc: return AV_CODEC_ID_HEVC;
  }
  return AV_CODEC_ID_NONE;
}

std::string ErrorText(int error) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(error, text, sizeof text);
  return text;
}

}  // namespace libav

std::optional<VideoCodec> VideoCodecOf(std::string_view uid) {
  constexpr std::string_view kPrefix = "1.2.840.10008.1.2.4.";
  if (!uid.starts_with(kPrefix)) return std::nullopt;
  std::string_view last = uid.substr(kPrefix.size());
  if (last == "100" || last == "101") return VideoCodec::kMpeg2;  // Main Profile @ Main / High Level
  if (last == "102" || last == "103" || last == "104" || last == "105" || last == "106")
    return VideoCodec::kH264;  // High Profile, BD-compatible, 2D/3D/stereo
  if (last == "107" || last == "108") return VideoCodec::kHevc;  // Main, Main 10
  return std::nullopt;
}

namespace {

using namespace libav;

// Collects decoded pictures as RGB24.
class RgbCollector {
 public:
  explicit RgbCollector(DecodedVideo& out) : out_(out) {}

  Status Add(const AVFrame& frame) {
    if (frame.decode_error_flags != 0 || (frame.flags & AV_FRAME_FLAG_CORRUPT))
      return Fail(ErrorCode::kInvalidArgument, fmt::format("video frame {} is damaged", out_.frames.size() + 1));
    if (frame.width <= 0 || frame.height <= 0 || frame.width > 65535 || frame.height > 65535)
      return Fail(ErrorCode::kInvalidArgument, "video frame has no usable size");
    if (out_.frames.empty()) {
      out_.columns = static_cast<std::uint16_t>(frame.width);
      out_.rows = static_cast<std::uint16_t>(frame.height);
    } else if (frame.width != out_.columns || frame.height != out_.rows) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("video changes size from {}x{} to {}x{} at frame {}",
                                                           out_.columns, out_.rows, frame.width, frame.height,
                                                           out_.frames.size() + 1));
    }
    auto format = static_cast<AVPixelFormat>(frame.format);
    SwsContext* sws = sws_getCachedContext(sws_.release(), frame.width, frame.height, format, frame.width, frame.height,
                                           AV_PIX_FMT_RGB24, SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                                           nullptr, nullptr, nullptr);
    sws_.reset(sws);
    if (!sws) return Fail(ErrorCode::kInvalidArgument, "video pixel format cannot be converted to RGB");
    // Use the matrix and range the stream signals; streams that say nothing
    // are taken as BT.601, what MPEG-2 and most SD encoders use.
    int colorspace = frame.colorspace == AVCOL_SPC_UNSPECIFIED || frame.colorspace == AVCOL_SPC_RGB
                         ? SWS_CS_ITU601
                         : static_cast<int>(frame.colorspace);
    const bool full_range = frame.color_range == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P ||
                            format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P;
    const int* coefficients = sws_getCoefficients(colorspace);
    sws_setColorspaceDetails(sws, coefficients, full_range ? 1 : 0, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16,
                             1 << 16);

    const std::size_t line = std::size_t{out_.columns} * 3;
    const std::size_t size = line * out_.rows;
    std::string rgb(size + 64, '\0');  // slack: swscale may write a little past the last pixel
    uint8_t* planes[4] = {reinterpret_cast<uint8_t*>(rgb.data()), nullptr, nullptr, nullptr};
    int lines[4] = {static_cast<int>(line), 0, 0, 0};
    if (sws_scale(sws, frame.data, frame.linesize, 0, frame.height, planes, lines) != frame.height)
      return Fail(ErrorCode::kInternal, "RGB conversion of a video frame failed");
    rgb.resize(size);
    out_.frames.push_back(std::move(rgb));
    return {};
  }

 private:
  DecodedVideo& out_;
  SwsPtr sws_;
};

// Sends one packet (nullptr: flush) and collects every picture it releases.
Status DecodePacket(AVCodecContext& context, const AVPacket* packet, AVFrame& frame, RgbCollector& collector) {
  int error = avcodec_send_packet(&context, packet);
  if (error < 0 && error != AVERROR_EOF)
    return Fail(ErrorCode::kInvalidArgument, "video stream is damaged: " + ErrorText(error));
  for (;;) {
    error = avcodec_receive_frame(&context, &frame);
    if (error == AVERROR(EAGAIN) || error == AVERROR_EOF) return {};
    if (error < 0) return Fail(ErrorCode::kInvalidArgument, "video stream is damaged: " + ErrorText(error));
    Status added = collector.Add(frame);
    av_frame_unref(&frame);
    SYSTOLE_RETURN_IF_ERROR(added);
  }
}

}  // namespace

Result<DecodedVideo> DecodeVideo(std::string_view stream, VideoCodec codec) {
  QuietLogging();
  const AVCodec* decoder = avcodec_find_decoder(CodecId(codec));
  if (!decoder) return Fail(ErrorCode::kInternal, "libavcodec has no decoder for this video codec");
  ParserPtr parser(av_parser_init(decoder->id));
  CodecContextPtr context(avcodec_alloc_context3(decoder));
  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  if (!parser || !context || !packet || !frame) return Fail(ErrorCode::kUnavailable, "out of memory for the video decoder");
  context->thread_count = 2;
  if (int error = avcodec_open2(context.get(), decoder, nullptr); error < 0)
    return Fail(ErrorCode::kInternal, "cannot open the video decoder: " + ErrorText(error));

  // The parser reads up to AV_INPUT_BUFFER_PADDING_SIZE bytes past its input.
  std::string padded(stream);
  padded.append(AV_INPUT_BUFFER_PADDING_SIZE, '\0');
  const auto* data = reinterpret_cast<const uint8_t*>(padded.data());
  std::size_t left = stream.size();

  DecodedVideo video;
  RgbCollector collector(video);
  // The parser splits the stream into access units; a final call with no
  // input releases the last one.
  bool flushed = false;
  while (!flushed) {
    flushed = left == 0;
    const int chunk = static_cast<int>(std::min<std::size_t>(left, 1 << 20));
    int used = av_parser_parse2(parser.get(), context.get(), &packet->data, &packet->size, flushed ? nullptr : data,
                                chunk, AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
    if (used < 0) return Fail(ErrorCode::kInvalidArgument, "video stream cannot be parsed: " + ErrorText(used));
    data += used;
    left -= static_cast<std::size_t>(used);
    if (packet->size > 0) SYSTOLE_RETURN_IF_ERROR(DecodePacket(*context, packet.get(), *frame, collector));
  }
  SYSTOLE_RETURN_IF_ERROR(DecodePacket(*context, nullptr, *frame, collector));
  if (video.frames.empty()) return Fail(ErrorCode::kInvalidArgument, "video stream holds no decodable picture");
  return video;
}

}  // namespace systole::dicom
