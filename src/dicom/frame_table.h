// Where each frame's bytes lie in a stored Part 10 file, found by walking the
// element headers once (no DCMTK parse, no pixel data read), so a frame is
// served with one pread instead of a parse per request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace systole::dicom {

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct FrameTable {
  std::string transfer_syntax;
  bool encapsulated = false;
  std::uint32_t number_of_frames = 0;
  // Image Pixel module, as stored.
  std::uint16_t rows = 0, columns = 0, samples_per_pixel = 1, bits_allocated = 0, bits_stored = 0;
  std::uint16_t pixel_representation = 0, planar_configuration = 0;
  std::string photometric;
  // Per frame, the file ranges holding it: native data has one range per frame;
  // encapsulated data the frame's fragments, in order. A video syntax stores one
  // stream for all frames: `frames` is empty and `stream` holds every fragment.
  std::vector<std::vector<ByteRange>> frames;
  std::vector<ByteRange> stream;

  // Bytes of one decoded frame (rows × columns × samples × bits allocated / 8).
  std::uint64_t FrameBytes() const;
};

// kNotFound: no pixel data. kInvalidArgument: the file cannot be walked, or its
// fragments cannot be told apart per frame (no offset table, no frame markers) —
// the caller then decodes the whole pixel data with DCMTK instead. Deflated and
// big-endian files are not walked (kInvalidArgument).
Result<FrameTable> ScanFrameTable(const std::filesystem::path& file);

}  // namespace systole::dicom
