#include "dicom/render.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmimage/diregist.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <fmt/format.h>
#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "dicom/frames.h"
#include "dicom/pixel_geometry.h"

namespace systole::dicom {

class ImageHeader {
 public:
  DcmDataset dataset;  // everything but the pixel data
  // DCMTK walks an item's elements with a cursor kept inside the item, so even reading
  // (copying, finding) the one cached header from two threads at once races: lock.
  mutable std::mutex mutex;
};

std::string RenderOptions::Key() const {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", frame, format == Format::kPng ? "png" : "jpg", quality,
                     window_center ? fmt::format("{}", *window_center) : "",
                     window_width ? fmt::format("{}", *window_width) : "", max_width, max_height);
}

std::pair<std::uint32_t, std::uint32_t> FitSize(std::uint32_t width, std::uint32_t height, std::uint32_t max_width,
                                                std::uint32_t max_height) {
  double scale = 1.0;
  if (max_width > 0) scale = std::min(scale, static_cast<double>(max_width) / width);
  if (max_height > 0) scale = std::min(scale, static_cast<double>(max_height) / height);
  if (scale >= 1.0) return {width, height};
  return {static_cast<std::uint32_t>(std::max(1.0, width * scale)),
          static_cast<std::uint32_t>(std::max(1.0, height * scale))};
}

Result<std::shared_ptr<const ImageHeader>> LoadImageHeader(const std::filesystem::path& file) {
  auto header = std::make_shared<ImageHeader>();
  DcmFileFormat format;
  OFCondition cond = format.loadFileUntilTag(file.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect,
                                             DCM_PixelData);
  if (cond.bad()) return Fail(ErrorCode::kInvalidArgument, std::string("cannot read stored instance: ") + cond.text());
  header->dataset = *format.getDataset();
  delete header->dataset.remove(DCM_PixelData);
  header->dataset.loadAllDataIntoMemory();  // palettes and LUTs: read once, not on every render
  return std::shared_ptr<const ImageHeader>(std::move(header));
}

namespace {

// Applies window / viewport and returns the 8-bit display pixels of DCMTK's image.
Result<DisplayImage> Display(std::unique_ptr<DicomImage> image, const RenderOptions& options) {
  if (!image || image->getStatus() != EIS_Normal)
    return Fail(ErrorCode::kInvalidArgument,
                std::string("cannot render: ") + (image ? DicomImage::getString(image->getStatus()) : "no image"));
  if (image->isMonochrome()) {
    if (options.window_center && options.window_width)
      image->setWindow(*options.window_center, *options.window_width);
    else if (image->getWindowCount() > 0)
      image->setWindow(0);
    else
      image->setMinMaxWindow();
  }
  const auto w = static_cast<std::uint32_t>(image->getWidth()), h = static_cast<std::uint32_t>(image->getHeight());
  if (const auto [fw, fh] = FitSize(w, h, options.max_width, options.max_height); fw != w || fh != h) {
    auto scaled = std::unique_ptr<DicomImage>(image->createScaledImage(
        static_cast<unsigned long>(fw), static_cast<unsigned long>(fh), /*interpolate=*/1, /*aspect=*/0));
    if (scaled && scaled->getStatus() == EIS_Normal) image = std::move(scaled);
  }
  DisplayImage out;
  out.width = static_cast<std::uint32_t>(image->getWidth());
  out.height = static_cast<std::uint32_t>(image->getHeight());
  out.samples = image->isMonochrome() ? 1 : 3;
  const unsigned long size = image->getOutputDataSize(8);
  if (size != static_cast<unsigned long>(out.width) * out.height * out.samples)
    return Fail(ErrorCode::kInvalidArgument, "unexpected rendered image size");
  out.pixels.resize(size);
  if (!image->getOutputData(out.pixels.data(), size, 8, 0, /*planar=*/0))
    return Fail(ErrorCode::kInvalidArgument, "cannot render the frame");
  return out;
}

// Keeps only frame `frame`'s item of the per-frame functional groups (the frame is rendered alone).
void KeepPerFrameGroup(DcmDataset& dataset, std::uint32_t frame) {
  DcmSequenceOfItems* groups = nullptr;
  if (dataset.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, groups).bad() || groups == nullptr) return;
  if (frame < 1 || frame > groups->card()) return;
  DcmItem* keep = groups->remove(frame - 1);
  while (groups->card() > 0) delete groups->remove(0UL);
  groups->insert(keep);
}

}  // namespace

Result<DisplayImage> RenderDecoded(const ImageHeader& header, std::uint32_t frame, std::string_view pixels,
                                   const DecodedLayout& layout, const RenderOptions& options) {
  std::unique_ptr<DcmDataset> dataset;
  {
    std::lock_guard lock(header.mutex);
    dataset = std::make_unique<DcmDataset>(header.dataset);
  }
  KeepPerFrameGroup(*dataset, frame);
  dataset->putAndInsertString(DCM_NumberOfFrames, "1");
  dataset->putAndInsertString(DCM_PhotometricInterpretation, layout.photometric.c_str());
  Uint16 samples = 1, bits_allocated = 8;
  dataset->findAndGetUint16(DCM_SamplesPerPixel, samples);
  dataset->findAndGetUint16(DCM_BitsAllocated, bits_allocated);
  if (samples > 1) dataset->putAndInsertUint16(DCM_PlanarConfiguration, layout.planar_configuration);
  if (bits_allocated <= 8)
    dataset->putAndInsertUint8Array(DCM_PixelData, reinterpret_cast<const Uint8*>(pixels.data()), pixels.size());
  else
    dataset->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16*>(pixels.data()), pixels.size() / 2);
  // DicomImage takes the dataset (CIF_TakeOverExternalDataset) and frees it.
  auto image = std::make_unique<DicomImage>(dataset.release(), EXS_LittleEndianExplicit, CIF_TakeOverExternalDataset);
  return Display(std::move(image), options);
}

Result<DisplayImage> RenderFromFile(const std::filesystem::path& file, const RenderOptions& options) {
  RegisterDecoders();
  DcmFileFormat format;
  if (format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect).bad())
    return Fail(ErrorCode::kInvalidArgument, "cannot read stored instance");
  DcmDataset& dataset = *format.getDataset();
  if (!dataset.tagExists(DCM_PixelData)) return Fail(ErrorCode::kNotFound, "instance has no pixel data");
  Sint32 frames = 1;
  dataset.findAndGetSint32(DCM_NumberOfFrames, frames);
  if (frames < 1) frames = 1;
  if (options.frame < 1 || options.frame > static_cast<std::uint32_t>(frames))
    return Fail(ErrorCode::kNotFound,
                "frame " + std::to_string(options.frame) + " out of range 1-" + std::to_string(frames));
  SYSTOLE_RETURN_IF_ERROR(CheckPixelGeometry(dataset));
  auto image = std::make_unique<DicomImage>(&format, dataset.getOriginalXfer(), CIF_UsePartialAccessToPixelData,
                                            options.frame - 1, 1);
  if (image->getStatus() != EIS_Normal)  // partial access needs an offset table; decode all frames otherwise
    image = std::make_unique<DicomImage>(&format, dataset.getOriginalXfer(), 0UL, options.frame - 1, 1);
  return Display(std::move(image), options);
}

namespace {

Result<std::string> EncodeJpeg(const DisplayImage& image, int quality) {
  tjhandle handle = tjInitCompress();
  if (!handle) return Fail(ErrorCode::kUnavailable, "cannot start the JPEG encoder");
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int pixel_format = image.samples == 1 ? TJPF_GRAY : TJPF_RGB;
  const int subsampling = image.samples == 1 ? TJSAMP_GRAY : TJSAMP_422;
  int rc = tjCompress2(handle, reinterpret_cast<const unsigned char*>(image.pixels.data()),
                       static_cast<int>(image.width), 0, static_cast<int>(image.height), pixel_format, &out, &size,
                       subsampling, std::clamp(quality, 1, 100), TJFLAG_FASTDCT);
  std::string bytes = rc == 0 ? std::string(reinterpret_cast<const char*>(out), size) : std::string();
  tjFree(out);
  tjDestroy(handle);
  if (rc != 0) return Fail(ErrorCode::kInvalidArgument, "JPEG encoding failed");
  return bytes;
}

Result<std::string> EncodePng(const DisplayImage& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = image.width;
  png.height = image.height;
  png.format = image.samples == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  const auto stride = static_cast<png_int_32>(image.width * static_cast<std::uint32_t>(image.samples));
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), stride, nullptr))
    return Fail(ErrorCode::kInvalidArgument, std::string("PNG encoding failed: ") + png.message);
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), stride, nullptr))
    return Fail(ErrorCode::kInvalidArgument, std::string("PNG encoding failed: ") + png.message);
  bytes.resize(size);
  return bytes;
}

}  // namespace

Result<std::string> EncodeImage(const DisplayImage& image, const RenderOptions& options) {
  if (image.pixels.empty()) return Fail(ErrorCode::kInvalidArgument, "empty image");
  return options.format == RenderOptions::Format::kPng ? EncodePng(image) : EncodeJpeg(image, options.quality);
}

std::vector<double> FrameDurations(const ImageHeader& header, std::uint32_t frames) {
  std::lock_guard lock(header.mutex);
  DcmDataset& dataset = const_cast<DcmDataset&>(header.dataset);  // finders are not const in DCMTK
  std::vector<double> durations;
  Float64 value = 0;
  if (dataset.findAndGetFloat64(DCM_FrameTime, value).good() && value > 0) return std::vector<double>(frames, value);
  DcmElement* vector = nullptr;
  if (dataset.findAndGetElement(DCM_FrameTimeVector, vector).good() && vector && vector->getVM() >= frames &&
      frames > 1) {
    // Entry i is the time from frame i-1 to frame i; frame i is shown until frame i+1 starts.
    for (std::uint32_t i = 1; i < frames; ++i) {
      Float64 step = 0;
      vector->getFloat64(step, i);
      durations.push_back(step > 0 ? step : 0);
    }
    durations.push_back(durations.back());
    return durations;
  }
  for (const DcmTagKey& rate : {DCM_CineRate, DCM_RecommendedDisplayFrameRate}) {
    Sint32 fps = 0;
    if (dataset.findAndGetSint32(rate, fps).good() && fps > 0) return std::vector<double>(frames, 1000.0 / fps);
  }
  return durations;
}

}  // namespace systole::dicom
