// Whether DCMTK may decode an instance's pixel data: what it would allocate must fit a limit
// and, for native (uncompressed) pixel data, the bytes the file holds. Checked before DCMTK
// decodes a whole object (rendering, frame retrieval of data the frame table cannot walk).
#pragma once

#include <cstdint>

#include "base/result.h"

class DcmDataset;

namespace systole::dicom {

// Larger frames are refused, not decoded: DCMTK would allocate them whole (4 GiB for a
// 46341 × 46341 16-bit frame, whose size also overflows its 32-bit frame size).
inline constexpr std::uint64_t kMaxFramePixels = std::uint64_t{1} << 28;  // 16384 × 16384

// kInvalidArgument naming the sizes when Rows or Columns is 0, a frame has more than
// kMaxFramePixels pixels, or native Pixel Data is shorter than its frames need.
Status CheckPixelGeometry(DcmDataset& dataset);

}  // namespace systole::dicom
