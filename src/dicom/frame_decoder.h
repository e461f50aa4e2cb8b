// One frame of a stored instance: its stored bytes (read by offset through a
// FrameTable) and their decode to native pixels. JPEG, JPEG-LS and RLE go
// through DCMTK's codecs, JPEG 2000 through OpenJPEG; video syntaxes are
// decoded as a whole stream (video_codec.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "dicom/frame_table.h"

namespace systole::dicom {

// The bytes of frame `number` (1-based) as stored: a native frame, or the
// frame's fragments concatenated (one codestream). kNotFound: out of range.
Result<std::string> ReadStoredFrame(const std::filesystem::path& file, const FrameTable& table, std::uint32_t number);

// Every byte of the ranges, concatenated (a video stream, for instance).
Result<std::string> ReadRanges(const std::filesystem::path& file, const std::vector<ByteRange>& ranges);

// How decoded pixels are laid out when it differs from the stored header
// (a YBR JPEG decodes to RGB, an RCT/ICT JPEG 2000 to RGB).
struct DecodedLayout {
  std::string photometric;
  std::uint16_t planar_configuration = 0;
};

// The stored codestream of one frame decoded to native little-endian pixels of
// table.FrameBytes() bytes. kInvalidArgument: corrupt data or an unsupported syntax.
Result<std::string> DecodeFrame(const FrameTable& table, std::string_view stored, DecodedLayout* layout = nullptr);

// True when DecodeFrame can decode this syntax frame by frame (DCMTK's codecs, JPEG 2000).
bool CanDecodeFrames(const std::string& transfer_syntax);
// True when DecodeAllFrames can decode it (the above and video).
bool CanDecode(const std::string& transfer_syntax);

// Every frame of the instance decoded (a video stream is decoded as a whole, to RGB).
Result<std::vector<std::string>> DecodeAllFrames(const std::filesystem::path& file, const FrameTable& table,
                                                 DecodedLayout* layout = nullptr);

}  // namespace systole::dicom
