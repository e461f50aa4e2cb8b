// Video pixel data (PS3.5 8.2.5) with FFmpeg's libavcodec: decoding the
// MPEG-2, H.264 and HEVC transfer syntaxes DCMTK 3.6.7 only carries, and
// writing cine loops as MP4 for browsers.
//
// DICOM stores a video as one elementary stream split over the pixel-data
// fragments; callers concatenate the fragments and pass the bytes here.
//
// Thread-safety: every call uses its own libav objects; calls may run
// concurrently. libav's log level is set once to errors only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace systole::dicom {

enum class VideoCodec { kMpeg2, kH264, kHevc };

// The codec a transfer syntax UID carries: 1.2.840.10008.1.2.4.100/.101
// (MPEG-2), .102-.106 (H.264), .107/.108 (HEVC); nullopt for any other UID.
std::optional<VideoCodec> VideoCodecOf(std::string_view transfer_syntax_uid);

struct DecodedVideo {
  std::uint16_t rows = 0, columns = 0;
  std::vector<std::string> frames;  // each RGB 8-bit interleaved, rows*columns*3 bytes
};

// Decodes every frame of an elementary stream (Annex B for H.264/HEVC),
// frames in presentation order. YUV is converted with the matrix and range
// the stream signals (BT.601 when it signals none).
// Failure: kInvalidArgument when the stream is not of `codec`, is damaged
// (a decoder error or a frame flagged corrupt), yields no frame, or changes
// size midway. The whole result is held in memory.
Result<DecodedVideo> DecodeVideo(std::string_view stream, VideoCodec codec);

// Encodes 8-bit frames as H.264 (libx264, yuv420p, CRF 18, preset veryfast,
// BT.601 limited range signalled) in an MP4 with the index in front
// (+faststart), so a browser can start playing before the end arrives.
// `frames`: samples_per_pixel 1 (MONOCHROME2) or 3 (RGB interleaved), each
// rows*columns*samples_per_pixel bytes. Odd dimensions are padded by one
// pixel (repeating the last column/row) because 4:2:0 needs even sizes.
// Timing: without `frame_times_ms` every frame lasts 1/frames_per_second
// (fractional rates such as 28.6 are kept exactly: the time base is the
// inverse of the rate). With `frame_times_ms` (one display duration per
// frame, ms, all > 0; note DICOM's FrameTimeVector gives the increment
// *before* each frame, so shift it by one) frames_per_second only guides
// rate control and may be 0.
// Returns the MP4 bytes. kInvalidArgument for inconsistent input;
// kUnavailable when the temporary file cannot be written; kInternal when
// libx264 is missing.
Result<std::string> EncodeMp4(const std::vector<std::string>& frames, std::uint16_t rows, std::uint16_t columns,
                              int samples_per_pixel, double frames_per_second,
                              const std::vector<double>& frame_times_ms = {});

// Puts a stored H.264 or HEVC elementary stream into MP4 without re-encoding
// (the fast path for video DICOM); presentation timestamps come from the
// pictures' order counts, one frame per 1/frames_per_second.
// kInvalidArgument for MPEG-2 (re-encode it: DecodeVideo then EncodeMp4), a
// stream without pictures, or frames_per_second <= 0.
Result<std::string> RemuxToMp4(std::string_view stream, VideoCodec codec, double frames_per_second);

}  // namespace systole::dicom
