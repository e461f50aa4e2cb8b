// Frames of a stored multi-frame (or single-frame) instance, decoded to raw
// pixels: the same bytes whichever endpoint serves them. Native data is read
// as stored; JPEG, JPEG-LS and RLE are decoded with DCMTK's codecs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace systole::dicom {

struct FrameInfo {
  std::uint32_t number_of_frames = 0;
  std::uint32_t frame_bytes = 0;  // uncompressed bytes of one frame
  std::string transfer_syntax;
};

// Registers DCMTK's decoders and sets its global reading options once (thread-safe, idempotent).
void RegisterDecoders();

// Decoded frames `numbers` (1-based; empty = every frame) of `file`. kNotFound for a frame number
// out of range or an instance without pixel data; kInvalidArgument when the
// pixel data cannot be decoded (unsupported syntax, corrupt data).
Result<std::vector<std::string>> ReadFrames(const std::filesystem::path& file, const std::vector<std::uint32_t>& numbers,
                                            FrameInfo* info = nullptr);

}  // namespace systole::dicom
