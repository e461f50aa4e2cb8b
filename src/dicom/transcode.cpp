#include "dicom/transcode.h"

#include <unistd.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpls/djencode.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "dicom/frame_decoder.h"
#include "dicom/frames.h"
#include "dicom/patient_module.h"
#include "dicom/j2k_codec.h"
#include "dicom/video_codec.h"

namespace systole::dicom {
namespace {

void RegisterEncoders() {
  static std::once_flag once;
  std::call_once(once, [] {
    DJEncoderRegistration::registerCodecs();
    DJLSEncoderRegistration::registerCodecs();
    DcmRLEEncoderRegistration::registerCodecs();
  });
}

// A temporary file removed when it goes out of scope.
class TempFile {
 public:
  TempFile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "systole-transcode-XXXXXX").string();
    int fd = ::mkstemp(pattern.data());
    if (fd >= 0) {
      ::close(fd);
      path_ = pattern;
    }
  }
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Syntaxes DCMTK 3.6.7 cannot decode (JPEG 2000, video): our decoders put native pixel data in their place.
Status DecodeInPlace(const std::filesystem::path& file, DcmDataset& dataset) {
  auto table = ScanFrameTable(file);
  if (!table) return std::unexpected(table.error());
  DecodedLayout layout;
  auto frames = DecodeAllFrames(file, *table, &layout);
  if (!frames) return std::unexpected(frames.error());
  std::string pixels;
  for (const auto& f : *frames) pixels += f;
  if (VideoCodecOf(table->transfer_syntax)) {  // decoded video is 8-bit RGB
    dataset.putAndInsertUint16(DCM_BitsAllocated, 8);
    dataset.putAndInsertUint16(DCM_BitsStored, 8);
    dataset.putAndInsertUint16(DCM_HighBit, 7);
    dataset.putAndInsertUint16(DCM_SamplesPerPixel, 3);
    dataset.putAndInsertString(DCM_NumberOfFrames, std::to_string(frames->size()).c_str());
  }
  dataset.putAndInsertString(DCM_PhotometricInterpretation, layout.photometric.c_str());
  if (table->samples_per_pixel > 1 || VideoCodecOf(table->transfer_syntax))
    dataset.putAndInsertUint16(DCM_PlanarConfiguration, layout.planar_configuration);
  OFCondition cond = table->bits_allocated > 8 && !VideoCodecOf(table->transfer_syntax)
                         ? dataset.putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16*>(pixels.data()),
                                                           pixels.size() / 2)
                         : dataset.putAndInsertUint8Array(DCM_PixelData, reinterpret_cast<const Uint8*>(pixels.data()),
                                                          pixels.size());
  if (cond.bad()) return Fail(ErrorCode::kInternal, std::string("cannot replace pixel data: ") + cond.text());
  return {};
}

}  // namespace

bool CanTranscodeTo(const std::string& ts) {
  for (auto t : {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.5",
                 "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80"})
    if (ts == t) return true;
  return false;
}

Result<std::string> Transcode(const std::filesystem::path& file, const std::string& transfer_syntax,
                              const domain::Patient* patient) {
  if (!patient && !CanTranscodeTo(transfer_syntax))
    return Fail(ErrorCode::kInvalidArgument, "cannot transcode to " + transfer_syntax);
  RegisterDecoders();
  RegisterEncoders();
  const E_TransferSyntax target = DcmXfer(transfer_syntax.c_str()).getXfer();
  DcmFileFormat format;
  OFCondition cond = format.loadFile(file.c_str());
  if (cond.bad()) return Fail(ErrorCode::kInvalidArgument, std::string("cannot read stored instance: ") + cond.text());
  DcmDataset& dataset = *format.getDataset();
  const std::string stored = DcmXfer(dataset.getOriginalXfer()).getXferID();
  if (stored != transfer_syntax && !CanTranscodeTo(transfer_syntax))
    return Fail(ErrorCode::kInvalidArgument, "cannot transcode to " + transfer_syntax);
  if (patient) SYSTOLE_RETURN_IF_ERROR(ApplyPatient(dataset, *patient));
  if (stored != transfer_syntax && (IsJ2kTransferSyntax(stored) || VideoCodecOf(stored))) {
    if (auto decoded = DecodeInPlace(file, dataset); !decoded)
      return Fail(ErrorCode::kInvalidArgument, "pixel data stored as " + stored + " cannot be decoded: " + decoded.error().message);
  }
  if (dataset.chooseRepresentation(target, nullptr).bad() || !dataset.canWriteXfer(target))
    return Fail(ErrorCode::kInvalidArgument, "pixel data stored as " + stored + " cannot be converted to " + transfer_syntax);
  TempFile temp;
  if (temp.path().empty()) return Fail(ErrorCode::kUnavailable, "no temporary file for transcoding");
  cond = format.saveFile(temp.path().c_str(), target);
  if (cond.bad()) return Fail(ErrorCode::kInvalidArgument, std::string("cannot write the converted instance: ") + cond.text());
  std::ifstream in(temp.path(), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in && !in.eof()) return Fail(ErrorCode::kUnavailable, "cannot read the converted instance back");
  return std::move(bytes).str();
}

}  // namespace systole::dicom
