// JPEG 2000 frame decoding with OpenJPEG, for the transfer syntaxes DCMTK
// 3.6.7 cannot decode: JPEG 2000 (1.2.840.10008.1.2.4.90 lossless,
// .91 lossy) and High-Throughput JPEG 2000 (.201 lossless, .202 lossless
// RPCL, .203 lossy; OpenJPEG >= 2.5.0 reads HTJ2K block coding).
//
// The caller pulls one frame's codestream out of the encapsulated pixel data
// (the concatenated fragments of that frame) and says what the DICOM header
// promises; DecodeJ2kFrame returns the frame in native DICOM layout.
//
// Thread-safety: every call uses its own decoder; calls may run concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace systole::dicom {

// What the DICOM header says one frame looks like.
struct PixelLayout {
  std::uint16_t rows = 0, columns = 0, samples_per_pixel = 1, bits_allocated = 8, bits_stored = 8;
  bool is_signed = false;  // PixelRepresentation 1
};

// True when `uid` is one of the JPEG 2000 / HTJ2K transfer syntaxes above.
bool IsJ2kTransferSyntax(std::string_view uid);

// Decodes one frame. `codestream` is a raw J2K codestream (starts FF4F FF51)
// or a JP2 file (box format); trailing padding is tolerated.
//
// Success: samples interleaved (PlanarConfiguration 0), little-endian,
// bits_allocated 8 or 16 per sample, exactly
// rows*columns*samples_per_pixel*(bits_allocated/8) bytes. Signed samples are
// two's complement sign-extended to bits_allocated; unsigned samples are
// zero-extended. When the codestream's signedness disagrees with `expect`
// (a known encoder bug), the low precision bits are kept and re-read the way
// `expect` says.
//
// If the codestream applied a multi-component transform (RCT or ICT),
// OpenJPEG has already inverted it, so the samples are RGB: *photometric_out
// becomes "RGB" and the caller should replace YBR_RCT / YBR_ICT. Otherwise
// *photometric_out becomes "" (the components are returned as coded). Note
// that GE ultrasound writes YBR_ICT frames whose codestream has no transform
// and whose components are plain RGB; so YBR_ICT / YBR_RCT mean RGB after
// decoding either way.
//
// Failure: kInvalidArgument when the data is not a decodable J2K/JP2 stream
// (corrupt, truncated) or does not match `expect`: other width/height, other
// number of components, subsampled components, precision above
// bits_allocated, bits_allocated other than 8 or 16.
Result<std::string> DecodeJ2kFrame(std::string_view codestream, const PixelLayout& expect,
                                   std::string* photometric_out = nullptr);

}  // namespace systole::dicom
