#include "dicom/frames.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>

#include <mutex>

#include "dicom/pixel_geometry.h"

namespace systole::dicom {

void RegisterDecoders() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Standard elements a writer encoded as UN (GDCM does, e.g. SOPClassUID) are read with their
    // dictionary VR, so their values are usable (a UID stays a UID).
    dcmEnableUnknownVRConversion.set(OFTrue);
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

Result<std::vector<std::string>> ReadFrames(const std::filesystem::path& file, const std::vector<std::uint32_t>& wanted,
                                            FrameInfo* info) {
  RegisterDecoders();
  DcmFileFormat format;
  // Large values stay on disk until a frame is read from them.
  OFCondition cond = format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
  if (cond.bad()) return Fail(ErrorCode::kInvalidArgument, std::string("cannot read stored instance: ") + cond.text());
  DcmDataset& dataset = *format.getDataset();
  DcmElement* pixel_element = nullptr;
  if (dataset.findAndGetElement(DCM_PixelData, pixel_element).bad() || pixel_element == nullptr)
    return Fail(ErrorCode::kNotFound, "instance has no pixel data");
  SYSTOLE_RETURN_IF_ERROR(CheckPixelGeometry(dataset));
  Sint32 frames = 1;
  dataset.findAndGetSint32(DCM_NumberOfFrames, frames);
  if (frames < 1) frames = 1;
  Uint32 frame_size = 0;
  cond = pixel_element->getUncompressedFrameSize(&dataset, frame_size);
  if (cond.bad() || frame_size == 0) return Fail(ErrorCode::kInvalidArgument, "pixel data attributes are inconsistent");
  if (info) {
    info->number_of_frames = static_cast<std::uint32_t>(frames);
    info->frame_bytes = frame_size;
    info->transfer_syntax = DcmXfer(dataset.getOriginalXfer()).getXferID();
  }
  std::vector<std::uint32_t> numbers = wanted;
  if (numbers.empty())
    for (Sint32 i = 1; i <= frames; ++i) numbers.push_back(static_cast<std::uint32_t>(i));
  for (std::uint32_t number : numbers)
    if (number < 1 || number > static_cast<std::uint32_t>(frames))
      return Fail(ErrorCode::kNotFound, "frame " + std::to_string(number) + " out of range 1-" + std::to_string(frames));
  std::vector<std::string> out;
  out.reserve(numbers.size());
  Uint32 start_fragment = 0;
  for (std::uint32_t number : numbers) {
    std::string frame(frame_size, '\0');
    OFString color_model;
    // Fragment hints only help when frames are read in order.
    Uint32 fragment = number == 1 ? 0 : start_fragment;
    cond = pixel_element->getUncompressedFrame(&dataset, number - 1, fragment, frame.data(), frame_size, color_model);
    if (cond.bad()) break;  // e.g. several fragments per frame and no offset table: decode all below
    start_fragment = fragment;
    out.push_back(std::move(frame));
  }
  if (out.size() == numbers.size()) return out;

  // Decode the whole pixel data once and cut the frames out of it.
  if (dataset.chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad() ||
      dataset.findAndGetElement(DCM_PixelData, pixel_element).bad())
    return Fail(ErrorCode::kInvalidArgument, "pixel data cannot be decoded");
  Uint8* pixels = nullptr;
  if (pixel_element->getUint8Array(pixels).bad() || pixels == nullptr ||
      pixel_element->getLength() < static_cast<Uint32>(frame_size) * static_cast<Uint32>(frames))
    return Fail(ErrorCode::kInvalidArgument, "decoded pixel data is shorter than its frames");
  out.clear();
  for (std::uint32_t number : numbers)
    out.emplace_back(reinterpret_cast<const char*>(pixels) + static_cast<std::size_t>(number - 1) * frame_size, frame_size);
  return out;
}

}  // namespace systole::dicom
