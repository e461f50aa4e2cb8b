// Private to video_codec*.cpp: owning handles for libav objects, so every
// return path frees them, and the few helpers both the decoder and the MP4
// writer need.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

#include "dicom/video_codec.h"

namespace systole::dicom::libav {

struct CodecContextDeleter {
  void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct ParserDeleter {
  void operator()(AVCodecParserContext* p) const { av_parser_close(p); }
};
struct SwsDeleter {
  void operator()(SwsContext* p) const { sws_freeContext(p); }
};
// Output format context together with its file (closed before freeing).
struct OutputDeleter {
  void operator()(AVFormatContext* p) const {
    if (p->pb && !(p->oformat->flags & AVFMT_NOFILE)) avio_closep(&p->pb);
    avformat_free_context(p);
  }
};

using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using ParserPtr = std::unique_ptr<AVCodecParserContext, ParserDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using OutputPtr = std::unique_ptr<AVFormatContext, OutputDeleter>;

// Sets libav's log level to errors, once per process.
void QuietLogging();

AVCodecID CodecId(VideoCodec codec);

// libav's text for an AVERROR code.
std::string ErrorText(int error);

}  // namespace systole::dicom::libav
