#include "services/cine/cine_service.h"

#include "base/log.h"
#include "dicom/dicom_json.h"
#include "dicom/frame_decoder.h"
#include "dicom/frame_table.h"
#include "dicom/frames.h"
#include "dicom/video_codec.h"
#include "services/cine/internal/lru_cache.h"

namespace systole::services {

constexpr const char* kExplicitLittleEndian = "1.2.840.10008.1.2.1";

// What is known about one stored file: its frame table, or why there is none.
struct CineService::Instance {
  std::optional<dicom::FrameTable> table;  // empty: frames cannot be located by offset (DCMTK decodes the file)
  std::string photometric;
};

struct CineService::Decoded {
  std::string pixels;
  dicom::DecodedLayout layout;
};

namespace {

// A baseline JPEG frame of 8-bit YCbCr (the usual ultrasound cine) already is
// the default rendering: any browser decodes it to the same RGB as we would,
// so it is sent as stored instead of decoded and encoded again (34 ms → 0.4 ms
// for a 975×743 frame), or, for a viewport it does not fit, decoded by
// libjpeg-turbo and averaged down (DecodeJpegToFit: 25 ms through DCMTK → 4-5 ms
// to 531×405). Not with a window or a quality of its own.
bool StoredIsDisplay(const dicom::FrameTable& table, const dicom::RenderOptions& options) {
  const dicom::RenderOptions defaults;
  return options.format == dicom::RenderOptions::Format::kJpeg && options.quality == defaults.quality &&
         !options.window_center && !options.window_width && table.transfer_syntax == "1.2.840.10008.1.2.4.50" &&
         table.samples_per_pixel == 3 && table.bits_allocated == 8 && table.bits_stored == 8 &&
         (table.photometric == "YBR_FULL_422" || table.photometric == "YBR_FULL");
}

bool FitsViewport(const dicom::FrameTable& table, const dicom::RenderOptions& options) {
  return dicom::FitSize(table.columns, table.rows, options.max_width, options.max_height) ==
         std::pair<std::uint32_t, std::uint32_t>(table.columns, table.rows);
}

std::size_t HeaderBytes(const dicom::ImageHeader&) { return 16 << 10; }
std::size_t StringBytes(const std::string& s) { return s.size(); }

}  // namespace

struct CineService::Caches {
  explicit Caches(const CineLimits& limits)
      : instances(limits.table_bytes / 2,
                  [](const Instance& i) {
                    std::size_t bytes = 256;
                    if (i.table)
                      for (const auto& frame : i.table->frames) bytes += 32 + frame.size() * sizeof(dicom::ByteRange);
                    return bytes;
                  }),
        headers(limits.table_bytes / 2, &HeaderBytes),
        decoded(limits.decoded_bytes, [](const Decoded& d) { return d.pixels.size(); }),
        rendered(limits.rendered_bytes, &StringBytes),
        metadata(limits.table_bytes, &StringBytes) {}
  internal::LruCache<Instance> instances;
  internal::LruCache<dicom::ImageHeader> headers;
  internal::LruCache<Decoded> decoded;
  internal::LruCache<std::string> rendered;
  internal::LruCache<std::string> metadata;
};

CineService::CineService(const CineLimits& limits) : caches_(std::make_unique<Caches>(limits)) {}
CineService::~CineService() = default;

Result<std::shared_ptr<const CineService::Instance>> CineService::Open(const std::filesystem::path& file) {
  // Stored files are immutable (their name carries their content hash): the path is the key.
  if (auto hit = caches_->instances.Get(file.string())) return hit;
  auto instance = std::make_shared<Instance>();
  auto table = dicom::ScanFrameTable(file);
  if (table) {
    instance->photometric = table->photometric;
    instance->table = std::move(*table);
  } else if (table.error().code == ErrorCode::kNotFound) {
    return std::unexpected(table.error());
  } else {
    LOG_DEBUG("cine", "{}: frames not located by offset ({}); decoding with DCMTK", file.string(),
              table.error().message);
  }
  std::shared_ptr<const Instance> shared = std::move(instance);
  caches_->instances.Put(file.string(), shared);
  return shared;
}

Result<std::shared_ptr<const dicom::ImageHeader>> CineService::Header(const std::filesystem::path& file) {
  if (auto hit = caches_->headers.Get(file.string())) return hit;
  auto header = dicom::LoadImageHeader(file);
  if (!header) return header;
  caches_->headers.Put(file.string(), *header);
  return header;
}

Result<std::shared_ptr<const CineService::Decoded>> CineService::DecodedFrame(const std::filesystem::path& file,
                                                                              const Instance& instance,
                                                                              std::uint32_t number) {
  const dicom::FrameTable& table = *instance.table;
  const std::string key = file.string() + "#" + std::to_string(number);
  if (auto hit = caches_->decoded.Get(key)) return hit;
  if (!table.stream.empty()) {  // video: the whole stream decodes at once
    SYSTOLE_RETURN_IF_ERROR(DecodeVideoFrames(file, instance));
    if (auto hit = caches_->decoded.Get(key)) return hit;
    return Fail(ErrorCode::kUnavailable, "decoded video frames do not fit in the frame cache");
  }
  auto stored = dicom::ReadStoredFrame(file, table, number);
  if (!stored) return std::unexpected(stored.error());
  auto decoded = std::make_shared<Decoded>();
  auto pixels = dicom::DecodeFrame(table, *stored, &decoded->layout);
  if (!pixels) return std::unexpected(pixels.error());
  decoded->pixels = std::move(*pixels);
  std::shared_ptr<const Decoded> shared = std::move(decoded);
  if (table.encapsulated) caches_->decoded.Put(key, shared);  // native frames are one pread away: not cached
  return shared;
}

Status CineService::DecodeVideoFrames(const std::filesystem::path& file, const Instance& instance) {
  dicom::DecodedLayout layout;
  auto frames = dicom::DecodeAllFrames(file, *instance.table, &layout);
  if (!frames) return std::unexpected(frames.error());
  if (frames->size() != instance.table->number_of_frames)
    LOG_WARN("cine", "{}: the video holds {} frames, NumberOfFrames says {}", file.string(), frames->size(),
             instance.table->number_of_frames);
  for (std::size_t i = 0; i < frames->size(); ++i) {
    auto decoded = std::make_shared<Decoded>();
    decoded->pixels = std::move((*frames)[i]);
    decoded->layout = layout;
    caches_->decoded.Put(file.string() + "#" + std::to_string(i + 1), std::move(decoded));
  }
  return {};
}

Result<CineService::FrameSet> CineService::Frames(const std::filesystem::path& file,
                                                  const std::vector<std::uint32_t>& wanted, Form form) {
  auto instance = Open(file);
  if (!instance) return std::unexpected(instance.error());
  FrameSet set;
  const auto& table = (*instance)->table;
  const bool video = table && !table->stream.empty();
  const bool walkable =
      table && (video || ((!table->frames.empty()) && (form == Form::kStored || !table->encapsulated ||
                                                       dicom::CanDecodeFrames(table->transfer_syntax))));
  if (!walkable) {
    // DCMTK decodes the whole pixel data (deflated, big-endian, or fragments it alone can assign).
    dicom::FrameInfo info;
    auto frames = dicom::ReadFrames(file, wanted, &info);
    if (!frames) return std::unexpected(frames.error());
    for (auto& f : *frames) set.frames.push_back(std::make_shared<const std::string>(std::move(f)));
    set.transfer_syntax = kExplicitLittleEndian;
    set.number_of_frames = info.number_of_frames;
    return set;
  }
  set.number_of_frames = table->number_of_frames;
  std::vector<std::uint32_t> numbers = wanted;
  if (numbers.empty())
    for (std::uint32_t i = 1; i <= table->number_of_frames; ++i) numbers.push_back(i);
  for (std::uint32_t n : numbers)
    if (n < 1 || n > table->number_of_frames)
      return Fail(ErrorCode::kNotFound,
                  "frame " + std::to_string(n) + " out of range 1-" + std::to_string(table->number_of_frames));
  set.frames.reserve(numbers.size());
  if (video && form == Form::kStored) {  // PS3.18: a video's frames in its own syntax are the whole stream
    auto stream = dicom::ReadRanges(file, table->stream);
    if (!stream) return std::unexpected(stream.error());
    set.transfer_syntax = table->transfer_syntax;
    set.photometric = table->photometric;
    set.frames.push_back(std::make_shared<const std::string>(std::move(*stream)));
    return set;
  }
  if (form == Form::kStored || !table->encapsulated) {
    set.transfer_syntax = table->encapsulated ? table->transfer_syntax : kExplicitLittleEndian;
    set.photometric = table->photometric;
    for (std::uint32_t n : numbers) {
      auto bytes = dicom::ReadStoredFrame(file, *table, n);
      if (!bytes) return std::unexpected(bytes.error());
      set.frames.push_back(std::make_shared<const std::string>(std::move(*bytes)));
    }
    return set;
  }
  set.transfer_syntax = kExplicitLittleEndian;
  for (std::uint32_t n : numbers) {
    auto decoded = DecodedFrame(file, **instance, n);
    if (!decoded) return std::unexpected(decoded.error());
    set.photometric = (*decoded)->layout.photometric;
    set.frames.push_back(Bytes(*decoded, &(*decoded)->pixels));
  }
  return set;
}

std::optional<std::vector<dicom::ByteRange>> CineService::FrameRanges(const std::filesystem::path& file,
                                                                      std::uint32_t number, Form form) {
  auto instance = Open(file);
  if (!instance) return std::nullopt;
  const auto& table = (*instance)->table;
  if (!table || table->frames.empty() || number < 1 || number > table->frames.size()) return std::nullopt;
  if (table->encapsulated && form == Form::kDecoded) return std::nullopt;
  return table->frames[number - 1];
}

Result<CineService::Bytes> CineService::Rendered(const std::filesystem::path& file,
                                                 const dicom::RenderOptions& options) {
  const std::string key = file.string() + "|" + options.Key();
  if (auto hit = caches_->rendered.Get(key)) return hit;
  auto instance = Open(file);
  if (!instance) return std::unexpected(instance.error());
  const auto& table = (*instance)->table;
  if (table && StoredIsDisplay(*table, options)) {
    auto stored = Frames(file, {options.frame}, Form::kStored);
    if (stored && stored->frames.size() == 1 && stored->transfer_syntax == table->transfer_syntax) {
      if (FitsViewport(*table, options)) {
        caches_->rendered.Put(key, stored->frames.front());
        return stored->frames.front();
      }
      auto image = dicom::DecodeJpegToFit(*stored->frames.front(), options);
      auto encoded = image ? dicom::EncodeImage(*image, options) : Result<std::string>(std::unexpected(image.error()));
      if (encoded) {
        auto shared = std::make_shared<const std::string>(std::move(*encoded));
        caches_->rendered.Put(key, shared);
        return shared;
      }
      LOG_DEBUG("cine", "{} frame {}: {}; rendering with DCMTK", file.string(), options.frame, encoded.error().message);
    }
  }
  Result<dicom::DisplayImage> image = Fail(ErrorCode::kInternal, "not rendered");
  if (table && (!table->stream.empty() ||
                (!table->frames.empty() && (!table->encapsulated || dicom::CanDecodeFrames(table->transfer_syntax))))) {
    if (options.frame < 1 || options.frame > table->number_of_frames)
      return Fail(ErrorCode::kNotFound, "frame " + std::to_string(options.frame) + " out of range 1-" +
                                            std::to_string(table->number_of_frames));
    auto header = Header(file);
    if (!header) return std::unexpected(header.error());
    auto decoded = DecodedFrame(file, **instance, options.frame);
    if (!decoded) return std::unexpected(decoded.error());
    image = dicom::RenderDecoded(**header, options.frame, (*decoded)->pixels, (*decoded)->layout, options);
  } else {
    image = dicom::RenderFromFile(file, options);
  }
  if (!image) return std::unexpected(image.error());
  auto encoded = dicom::EncodeImage(*image, options);
  if (!encoded) return std::unexpected(encoded.error());
  auto shared = std::make_shared<const std::string>(std::move(*encoded));
  caches_->rendered.Put(key, shared);
  return shared;
}

Result<CineService::Bytes> CineService::Video(const std::filesystem::path& file) {
  const std::string key = file.string() + "|mp4";
  if (auto hit = caches_->rendered.Get(key)) return hit;
  auto instance = Open(file);
  if (!instance) return std::unexpected(instance.error());
  const auto& table = (*instance)->table;
  if (!table) return Fail(ErrorCode::kInvalidArgument, "the frames of this instance cannot be located for a video");
  auto header = Header(file);
  if (!header) return std::unexpected(header.error());
  const std::uint32_t n = table->number_of_frames;
  std::vector<double> durations = dicom::FrameDurations(**header, n);
  double total = 0;
  for (double d : durations) total += d;
  // Without timing the loop plays at 30 frames/s (the usual echo rate), and the log says so.
  const double fps = total > 0 ? 1000.0 * durations.size() / total : 30.0;
  if (total <= 0) LOG_INFO("cine", "{}: no frame timing; video at 30 frames/s", file.string());

  Result<std::string> mp4 = Fail(ErrorCode::kInternal, "no video");
  auto codec = dicom::VideoCodecOf(table->transfer_syntax);
  if (codec && *codec != dicom::VideoCodec::kMpeg2) {
    auto stream = dicom::ReadRanges(file, table->stream);
    if (!stream) return std::unexpected(stream.error());
    mp4 = dicom::RemuxToMp4(*stream, *codec, fps);
  } else {
    std::vector<std::string> pixels;
    dicom::RenderOptions options;
    std::uint32_t width = 0, height = 0;
    int samples = 1;
    for (std::uint32_t i = 1; i <= n; ++i) {
      auto decoded = DecodedFrame(file, **instance, i);
      if (!decoded) return std::unexpected(decoded.error());
      options.frame = i;
      auto image = dicom::RenderDecoded(**header, i, (*decoded)->pixels, (*decoded)->layout, options);
      if (!image) return std::unexpected(image.error());
      width = image->width;
      height = image->height;
      samples = image->samples;
      pixels.push_back(std::move(image->pixels));
    }
    mp4 = dicom::EncodeMp4(pixels, static_cast<std::uint16_t>(height), static_cast<std::uint16_t>(width), samples, fps,
                           durations.size() == pixels.size() ? durations : std::vector<double>{});
  }
  if (!mp4) return std::unexpected(mp4.error());
  auto shared = std::make_shared<const std::string>(std::move(*mp4));
  caches_->rendered.Put(key, shared);
  return shared;
}

Result<std::string> CineService::Metadata(const std::filesystem::path& file, const std::string& bulk_uri_prefix) {
  // Cached with a marker where the prefix goes: the prefix names the host the client used.
  static const std::string kMarker = "{{systole:bulk-data-prefix}}";
  auto cached = caches_->metadata.Get(file.string());
  if (!cached) {
    auto json = dicom::InstanceJson(file, kMarker);
    if (!json) return json;
    cached = std::make_shared<const std::string>(std::move(*json));
    caches_->metadata.Put(file.string(), cached);
  }
  std::string out;
  out.reserve(cached->size() + 256);
  std::size_t at = 0;
  for (std::size_t hit; (hit = cached->find(kMarker, at)) != std::string::npos; at = hit + kMarker.size())
    out.append(*cached, at, hit - at).append(bulk_uri_prefix);
  out.append(*cached, at);
  return out;
}

CineService::Stats CineService::stats() const {
  auto d = caches_->decoded.stats();
  auto r = caches_->rendered.stats();
  return {d.entries, d.bytes, r.entries, r.bytes, d.hits + r.hits, d.misses + r.misses};
}

}  // namespace systole::services
