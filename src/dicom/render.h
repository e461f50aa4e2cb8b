// Rendering frames for display: VOI LUT / window, modality LUT, palette colour
// and YBR→RGB handled by DCMTK's dcmimage on 8-bit output, then JPEG
// (libjpeg-turbo) or PNG (libpng). The same 8-bit pixels feed the video rendition.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "dicom/frame_decoder.h"

namespace systole::dicom {

struct RenderOptions {
  enum class Format { kJpeg, kPng };
  std::uint32_t frame = 1;  // 1-based
  Format format = Format::kJpeg;
  int quality = 90;  // JPEG quality 1-100
  // Monochrome only; default: the file's first VOI window, else min-max.
  std::optional<double> window_center, window_width;
  std::uint32_t max_width = 0, max_height = 0;  // viewport: scaled down to fit, aspect kept (0 = no limit)

  // A stable text form, for cache keys.
  std::string Key() const;
};

// 8-bit display pixels: samples 1 (grey) or 3 (RGB, interleaved).
struct DisplayImage {
  std::uint32_t width = 0, height = 0;
  int samples = 1;
  std::string pixels;
};

// The attributes of an instance other than its pixel data (read once, reused for every frame).
class ImageHeader;
Result<std::shared_ptr<const ImageHeader>> LoadImageHeader(const std::filesystem::path& file);

// Display pixels of one decoded frame (`pixels` laid out as `layout` says; frame is 1-based,
// used to pick the frame's own per-frame functional group).
Result<DisplayImage> RenderDecoded(const ImageHeader& header, std::uint32_t frame, std::string_view pixels,
                                   const DecodedLayout& layout, const RenderOptions& options);

// Display pixels straight from a file DCMTK decodes itself (files whose frames cannot be located by offset).
Result<DisplayImage> RenderFromFile(const std::filesystem::path& file, const RenderOptions& options);

// The size of a width × height image scaled down to fit max_width × max_height, aspect kept
// (0 = no limit; never larger than the image): the size of every rendering with a viewport.
std::pair<std::uint32_t, std::uint32_t> FitSize(std::uint32_t width, std::uint32_t height, std::uint32_t max_width,
                                                std::uint32_t max_height);

// Display pixels of a baseline JPEG frame of 8-bit grey or YCbCr (the usual ultrasound cine,
// which needs no VOI, LUT or palette) scaled to fit options' viewport (FitSize) by an area
// average, as DCMTK scales, after libjpeg-turbo's decode: 5 ms for a 975×743 frame to 531×405,
// against 25 ms through DCMTK's decode and scaling. kInvalidArgument for bytes it refuses.
Result<DisplayImage> DecodeJpegToFit(std::string_view jpeg, const RenderOptions& options);

// JPEG or PNG bytes of display pixels.
Result<std::string> EncodeImage(const DisplayImage& image, const RenderOptions& options);

// Frame timing of a multi-frame instance, from FrameTime (0018,1063), FrameTimeVector
// (0018,1065), CineRate (0018,0040) or RecommendedDisplayFrameRate (0008,2144), in that order.
// Per-frame display durations in ms (frames entries); empty when the instance carries no timing.
std::vector<double> FrameDurations(const ImageHeader& header, std::uint32_t frames);

}  // namespace systole::dicom
