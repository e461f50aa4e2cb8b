// DecodeJpegToFit (render.h): a baseline JPEG frame decoded by libjpeg-turbo and made smaller by
// an area average (or by its inverse DCT at 1/2, 1/4 or 1/8, when that is the size that fits), so
// a viewport rendering of an ultrasound loop costs about as much as a decode.

#include <turbojpeg.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "dicom/render.h"

namespace systole::dicom {

namespace {

struct TjDestroy {
  void operator()(void* handle) const { tjDestroy(handle); }
};

// An area average along one axis: output sample i covers `count[i]` source samples from
// `first[i]`, each with its share, from `weights` at `offset[i]`.
struct Taps {
  std::vector<std::uint32_t> first, count, offset;
  std::vector<float> weights;
};

Taps AreaTaps(std::uint32_t from, std::uint32_t to) {
  const double ratio = static_cast<double>(from) / to;
  Taps taps;
  for (std::uint32_t i = 0; i < to; ++i) {
    const double start = i * ratio, end = std::min<double>(from, (i + 1) * ratio);
    taps.first.push_back(static_cast<std::uint32_t>(start));
    taps.offset.push_back(static_cast<std::uint32_t>(taps.weights.size()));
    for (std::uint32_t s = taps.first.back(); s < end; ++s)
      taps.weights.push_back(static_cast<float>((std::min<double>(s + 1, end) - std::max<double>(s, start)) / ratio));
    taps.count.push_back(static_cast<std::uint32_t>(taps.weights.size()) - taps.offset.back());
  }
  return taps;
}

// Interleaved 8-bit pixels of `Samples` per pixel from w × h to tw × th (each no larger): each
// output row sums its source rows into one row of floats, then that row's columns.
template <int Samples>
std::string AreaAverage(const std::string& src, std::uint32_t w, std::uint32_t h, std::uint32_t tw, std::uint32_t th) {
  const Taps columns = AreaTaps(w, tw), rows = AreaTaps(h, th);
  const std::size_t stride = static_cast<std::size_t>(w) * Samples;
  const auto* in = reinterpret_cast<const unsigned char*>(src.data());
  std::string pixels(static_cast<std::size_t>(tw) * th * Samples, '\0');
  auto* out = reinterpret_cast<unsigned char*>(pixels.data());
  std::vector<float> row(stride);
  for (std::uint32_t y = 0; y < th; ++y) {
    std::fill(row.begin(), row.end(), 0.0f);
    for (std::uint32_t k = 0; k < rows.count[y]; ++k) {
      const unsigned char* line = in + (rows.first[y] + k) * stride;
      const float weight = rows.weights[rows.offset[y] + k];
      for (std::size_t i = 0; i < stride; ++i) row[i] += weight * line[i];
    }
    for (std::uint32_t x = 0; x < tw; ++x) {
      float sum[Samples] = {};
      const float* weights = &columns.weights[columns.offset[x]];
      const float* from = &row[static_cast<std::size_t>(columns.first[x]) * Samples];
      for (std::uint32_t k = 0; k < columns.count[x]; ++k)
        for (int c = 0; c < Samples; ++c) sum[c] += weights[k] * from[k * Samples + c];
      for (int c = 0; c < Samples; ++c) *out++ = static_cast<unsigned char>(std::clamp(sum[c] + 0.5f, 0.0f, 255.0f));
    }
  }
  return pixels;
}

}  // namespace

Result<DisplayImage> DecodeJpegToFit(std::string_view jpeg, const RenderOptions& options) {
  std::unique_ptr<void, TjDestroy> handle(tjInitDecompress());
  if (!handle) return Fail(ErrorCode::kUnavailable, "cannot start the JPEG decoder");
  auto* bytes = reinterpret_cast<const unsigned char*>(jpeg.data());
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(handle.get(), bytes, jpeg.size(), &width, &height, &subsampling, &colorspace) != 0 ||
      width <= 0 || height <= 0)
    return Fail(ErrorCode::kInvalidArgument, std::string("JPEG frame: ") + tjGetErrorStr2(handle.get()));
  const auto [tw, th] = FitSize(static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height),
                                options.max_width, options.max_height);
  // libjpeg-turbo's scale 1/2, 1/4 or 1/8 when it gives the size wanted (each is close to an
  // area average of the frame); else the frame at full size, averaged down. An average from a
  // scaled decode is not close to the frame's: 4.9 grey levels off the exact 5×5 average of a
  // colour Doppler frame through 1/4 and then 80 → 64, 1.6 through 1/2 and 160 → 64.
  int sw = width, sh = height;
  for (int denom = 2; denom <= 8; denom *= 2) {
    const tjscalingfactor factor{1, denom};
    if (TJSCALED(width, factor) == static_cast<int>(tw) && TJSCALED(height, factor) == static_cast<int>(th))
      sw = tw, sh = th;
  }
  DisplayImage image;
  image.samples = colorspace == TJCS_GRAY ? 1 : 3;
  image.pixels.resize(static_cast<std::size_t>(sw) * sh * image.samples);
  if (tjDecompress2(handle.get(), bytes, jpeg.size(), reinterpret_cast<unsigned char*>(image.pixels.data()), sw, 0, sh,
                    image.samples == 1 ? TJPF_GRAY : TJPF_RGB, 0) != 0)
    return Fail(ErrorCode::kInvalidArgument, std::string("JPEG frame: ") + tjGetErrorStr2(handle.get()));
  if (static_cast<std::uint32_t>(sw) != tw || static_cast<std::uint32_t>(sh) != th)
    image.pixels =
        image.samples == 1
            ? AreaAverage<1>(image.pixels, static_cast<std::uint32_t>(sw), static_cast<std::uint32_t>(sh), tw, th)
            : AreaAverage<3>(image.pixels, static_cast<std::uint32_t>(sw), static_cast<std::uint32_t>(sh), tw, th);
  image.width = tw;
  image.height = th;
  return image;
}

}  // namespace systole::dicom
