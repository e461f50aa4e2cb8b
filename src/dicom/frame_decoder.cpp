#include "dicom/frame_decoder.h"

#include <fcntl.h>
#include <unistd.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include "dicom/frames.h"
#include "dicom/j2k_codec.h"
#include "dicom/video_codec.h"

namespace systole::dicom {
namespace {

class Fd {
 public:
  explicit Fd(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool ReadFully(int fd, char* out, std::uint64_t length, std::uint64_t offset) {
  while (length > 0) {
    ssize_t n = ::pread(fd, out, length, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    length -= static_cast<std::uint64_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

bool IsDcmtkDecoded(const std::string& ts) {
  for (auto t : {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
                 "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.5"})
    if (ts == t) return true;
  return false;
}

// DCMTK decodes a frame out of a dataset: build a one-frame dataset around the codestream.
Result<std::string> DecodeWithDcmtk(const FrameTable& table, std::string_view stored, DecodedLayout* layout) {
  RegisterDecoders();
  DcmDataset dataset;
  dataset.putAndInsertUint16(DCM_Rows, table.rows);
  dataset.putAndInsertUint16(DCM_Columns, table.columns);
  dataset.putAndInsertUint16(DCM_SamplesPerPixel, table.samples_per_pixel);
  dataset.putAndInsertUint16(DCM_BitsAllocated, table.bits_allocated);
  dataset.putAndInsertUint16(DCM_BitsStored, table.bits_stored);
  dataset.putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(table.bits_stored ? table.bits_stored - 1 : 0));
  dataset.putAndInsertUint16(DCM_PixelRepresentation, table.pixel_representation);
  if (table.samples_per_pixel > 1) dataset.putAndInsertUint16(DCM_PlanarConfiguration, table.planar_configuration);
  dataset.putAndInsertString(DCM_PhotometricInterpretation, table.photometric.c_str());
  dataset.putAndInsertString(DCM_NumberOfFrames, "1");
  auto* sequence = new DcmPixelSequence(DcmTag(DCM_PixelSequenceTag));
  sequence->insert(new DcmPixelItem(DcmTag(DCM_Item, EVR_OB)));  // empty offset table
  auto* fragment = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
  fragment->putUint8Array(reinterpret_cast<const Uint8*>(stored.data()), static_cast<unsigned long>(stored.size()));
  sequence->insert(fragment);
  auto* pixel_data = new DcmPixelData(DCM_PixelData);
  pixel_data->putOriginalRepresentation(DcmXfer(table.transfer_syntax.c_str()).getXfer(), nullptr, sequence);
  dataset.insert(pixel_data);

  // DCMTK's codecs want a buffer of even length (an odd frame, e.g. 975x743 RGB,
  // fails with "Illegal call"): decode into one padded byte, then drop it.
  const auto frame_bytes = table.FrameBytes();
  std::string frame(frame_bytes + (frame_bytes & 1), '\0');
  Uint32 start_fragment = 0;
  OFString color_model;
  OFCondition cond = pixel_data->getUncompressedFrame(&dataset, 0, start_fragment, frame.data(),
                                                      static_cast<Uint32>(frame.size()), color_model);
  if (cond.bad()) return Fail(ErrorCode::kInvalidArgument, std::string("frame cannot be decoded: ") + cond.text());
  frame.resize(frame_bytes);
  if (layout) {
    layout->photometric = color_model.empty() ? table.photometric : std::string(color_model.c_str());
    // DCMTK's RLE decoder keeps the dataset's planar configuration, its JPEG decoders interleave.
    layout->planar_configuration =
        table.samples_per_pixel > 1 && table.transfer_syntax == "1.2.840.10008.1.2.5" ? table.planar_configuration : 0;
  }
  return frame;
}

}  // namespace

Result<std::string> ReadRanges(const std::filesystem::path& file, const std::vector<ByteRange>& ranges) {
  Fd fd(file);
  if (fd.get() < 0) return Fail(ErrorCode::kUnavailable, "cannot open stored file " + file.string());
  std::uint64_t total = 0;
  for (const auto& r : ranges) total += r.length;
  std::string out(total, '\0');
  std::uint64_t at = 0;
  for (const auto& r : ranges) {
    if (!ReadFully(fd.get(), out.data() + at, r.length, r.offset))
      return Fail(ErrorCode::kUnavailable, "cannot read stored file " + file.string());
    at += r.length;
  }
  return out;
}

Result<std::string> ReadStoredFrame(const std::filesystem::path& file, const FrameTable& table, std::uint32_t number) {
  if (number < 1 || number > table.frames.size())
    return Fail(ErrorCode::kNotFound,
                "frame " + std::to_string(number) + " out of range 1-" + std::to_string(table.number_of_frames));
  return ReadRanges(file, table.frames[number - 1]);
}

bool CanDecodeFrames(const std::string& transfer_syntax) {
  return IsDcmtkDecoded(transfer_syntax) || IsJ2kTransferSyntax(transfer_syntax);
}

bool CanDecode(const std::string& transfer_syntax) {
  return CanDecodeFrames(transfer_syntax) || VideoCodecOf(transfer_syntax).has_value();
}

Result<std::vector<std::string>> DecodeAllFrames(const std::filesystem::path& file, const FrameTable& table,
                                                 DecodedLayout* layout) {
  std::vector<std::string> out;
  if (auto codec = VideoCodecOf(table.transfer_syntax)) {
    auto stream = ReadRanges(file, table.stream);
    if (!stream) return std::unexpected(stream.error());
    auto video = DecodeVideo(*stream, *codec);
    if (!video) return std::unexpected(video.error());
    if (video->rows != table.rows || video->columns != table.columns)
      return Fail(ErrorCode::kInvalidArgument, "the video stream's size differs from Rows/Columns");
    if (layout) *layout = {"RGB", 0};
    return std::move(video->frames);
  }
  for (std::uint32_t n = 1; n <= table.frames.size(); ++n) {
    auto stored = ReadStoredFrame(file, table, n);
    if (!stored) return std::unexpected(stored.error());
    auto frame = DecodeFrame(table, *stored, layout);
    if (!frame) return std::unexpected(frame.error());
    out.push_back(std::move(*frame));
  }
  return out;
}

Result<std::string> DecodeFrame(const FrameTable& table, std::string_view stored, DecodedLayout* layout) {
  if (!table.encapsulated) {
    if (layout) *layout = {table.photometric, table.planar_configuration};
    return std::string(stored);
  }
  if (IsDcmtkDecoded(table.transfer_syntax)) return DecodeWithDcmtk(table, stored, layout);
  if (IsJ2kTransferSyntax(table.transfer_syntax)) {
    PixelLayout expect{table.rows, table.columns, table.samples_per_pixel, table.bits_allocated, table.bits_stored,
                       table.pixel_representation == 1};
    std::string photometric;
    auto frame = DecodeJ2kFrame(stored, expect, &photometric);
    if (!frame) return frame;
    if (layout) {
      // OpenJPEG inverts RCT/ICT; YBR_RCT / YBR_ICT headers mean RGB once decoded either way.
      const bool rgb = photometric == "RGB" || table.photometric == "YBR_RCT" || table.photometric == "YBR_ICT";
      *layout = {rgb ? "RGB" : table.photometric, 0};
    }
    return frame;
  }
  return Fail(ErrorCode::kInvalidArgument, "frames of transfer syntax " + table.transfer_syntax + " cannot be decoded");
}

}  // namespace systole::dicom
