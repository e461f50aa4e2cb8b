// Re-encoding a stored instance in another transfer syntax, for a client that
// cannot take the stored one (WADO-RS Accept, whose default is Explicit VR
// Little Endian). The stored file is never changed.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "domain/identity.h"

namespace systole::dicom {

// True for the syntaxes Systole can produce: the native ones (implicit, explicit,
// deflated explicit little endian) and lossless compressions (RLE, JPEG lossless
// SV1, JPEG-LS lossless). Lossy targets are refused: a lossy copy of a lossless
// original must not be made silently.
bool CanTranscodeTo(const std::string& transfer_syntax);

// The Part 10 bytes of `file` in `transfer_syntax` (same SOP Instance UID; pixel
// data decoded and, for a compressed target, re-encoded). kInvalidArgument when
// the stored pixel data cannot be decoded or the target cannot hold it.
// With `patient`, the patient module is replaced by it (dicom/patient_module.h);
// the stored syntax is then a valid target too (only the header changes).
Result<std::string> Transcode(const std::filesystem::path& file, const std::string& transfer_syntax,
                              const domain::Patient* patient = nullptr);

}  // namespace systole::dicom
