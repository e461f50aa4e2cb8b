#include "dicom/render.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmimage/diregist.h>
#include <dcmtk/dcmimage/dipipng.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/dipijpeg.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "dicom/frames.h"

namespace systole::dicom {

Result<std::string> RenderFrame(const std::filesystem::path& file, const RenderOptions& options) {
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
    return Fail(ErrorCode::kNotFound, "frame " + std::to_string(options.frame) + " out of range 1-" + std::to_string(frames));

  auto image = std::make_unique<DicomImage>(&format, dataset.getOriginalXfer(), CIF_UsePartialAccessToPixelData,
                                            options.frame - 1, 1);
  if (image->getStatus() != EIS_Normal) {
    // Partial access needs one fragment per frame or an offset table; decode all frames otherwise.
    image = std::make_unique<DicomImage>(&format, dataset.getOriginalXfer(), 0UL, options.frame - 1, 1);
  }
  if (image->getStatus() != EIS_Normal)
    return Fail(ErrorCode::kInvalidArgument,
                std::string("cannot render: ") + DicomImage::getString(image->getStatus()));
  if (image->isMonochrome()) {
    if (options.window_center && options.window_width) image->setWindow(*options.window_center, *options.window_width);
    else if (image->getWindowCount() > 0) image->setWindow(0);
    else image->setMinMaxWindow();
  }
  if (options.max_width > 0 || options.max_height > 0) {
    const double w = static_cast<double>(image->getWidth()), h = static_cast<double>(image->getHeight());
    double scale = 1.0;
    if (options.max_width > 0) scale = std::min(scale, options.max_width / w);
    if (options.max_height > 0) scale = std::min(scale, options.max_height / h);
    if (scale < 1.0) {
      auto scaled = std::unique_ptr<DicomImage>(image->createScaledImage(
          static_cast<unsigned long>(std::max(1.0, w * scale)), static_cast<unsigned long>(std::max(1.0, h * scale)),
          /*interpolate=*/1, /*aspect=*/0));
      if (scaled && scaled->getStatus() == EIS_Normal) image = std::move(scaled);
    }
  }
  char* buffer = nullptr;
  size_t size = 0;
  FILE* stream = open_memstream(&buffer, &size);
  if (!stream) return Fail(ErrorCode::kUnavailable, "out of memory");
  int ok = 0;
  if (options.format == RenderOptions::Format::kJpeg) {
    DiJPEGPlugin plugin;
    plugin.setQuality(static_cast<unsigned int>(std::clamp(options.quality, 1, 100)));
    plugin.setSampling(ESS_422);
    ok = image->writePluginFormat(&plugin, stream, 0);
  } else {
    DiPNGPlugin plugin;
    ok = image->writePluginFormat(&plugin, stream, 0);
  }
  std::fclose(stream);
  std::string out(buffer ? buffer : "", size);
  std::free(buffer);
  if (!ok || out.empty()) return Fail(ErrorCode::kInvalidArgument, "image encoding failed");
  return out;
}

}  // namespace systole::dicom
