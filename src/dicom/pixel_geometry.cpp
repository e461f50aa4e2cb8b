#include "dicom/pixel_geometry.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <fmt/format.h>

#include <algorithm>

namespace systole::dicom {

Status CheckPixelGeometry(DcmDataset& dataset) {
  Uint16 rows = 0, columns = 0, samples = 1, bits_allocated = 0;
  Sint32 frames = 1;
  dataset.findAndGetUint16(DCM_Rows, rows);
  dataset.findAndGetUint16(DCM_Columns, columns);
  dataset.findAndGetUint16(DCM_SamplesPerPixel, samples);
  dataset.findAndGetUint16(DCM_BitsAllocated, bits_allocated);
  dataset.findAndGetSint32(DCM_NumberOfFrames, frames);
  if (rows == 0 || columns == 0) return Fail(ErrorCode::kInvalidArgument, "Rows or Columns is missing or 0");
  const std::uint64_t pixels = std::uint64_t{rows} * columns;
  if (pixels > kMaxFramePixels)
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("a frame of {} x {} pixels is larger than the {} pixels Systole decodes", columns, rows,
                            kMaxFramePixels));
  if (dataset.getOriginalXfer() != EXS_Unknown && DcmXfer(dataset.getOriginalXfer()).isEncapsulated()) return {};
  DcmElement* data = nullptr;
  if (dataset.findAndGetElement(DCM_PixelData, data).bad() || data == nullptr) return {};
  const std::uint64_t frame_count = static_cast<std::uint64_t>(std::max<Sint32>(frames, 1));
  const std::uint64_t needed = (pixels * std::max<Uint16>(samples, 1) * frame_count * bits_allocated + 7) / 8;
  if (data->getLength() < needed)
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("Pixel Data holds {} bytes; {} x {} x {} sample(s) x {} frame(s) at {} bits allocated need {}",
                            data->getLength(), columns, rows, samples, frame_count, bits_allocated, needed));
  return {};
}

}  // namespace systole::dicom
