// Rendering a frame of a stored instance to JPEG or PNG for display:
// VOI LUT / window, palette colour and YBR→RGB handled by DCMTK's dcmimage.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/result.h"

namespace systole::dicom {

struct RenderOptions {
  enum class Format { kJpeg, kPng };
  std::uint32_t frame = 1;       // 1-based
  Format format = Format::kJpeg;
  int quality = 90;              // JPEG quality 1-100
  std::optional<double> window_center, window_width;  // monochrome only; default: the file's first VOI window, else min-max
  std::uint32_t max_width = 0, max_height = 0;        // viewport: scaled down to fit, aspect kept (0 = no limit)
};

// The encoded image. kNotFound: frame out of range or no pixel data;
// kInvalidArgument: the pixel data cannot be decoded or rendered.
Result<std::string> RenderFrame(const std::filesystem::path& file, const RenderOptions& options);

}  // namespace systole::dicom
