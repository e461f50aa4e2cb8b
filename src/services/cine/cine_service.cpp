#include "services/cine/cine_service.h"

#include "base/log.h"
#include "dicom/frame_decoder.h"
#include "dicom/frame_table.h"
#include "dicom/frames.h"
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
        rendered(limits.rendered_bytes, &StringBytes) {}
  internal::LruCache<Instance> instances;
  internal::LruCache<dicom::ImageHeader> headers;
  internal::LruCache<Decoded> decoded;
  internal::LruCache<std::string> rendered;
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
    LOG_DEBUG("cine", "{}: frames not located by offset ({}); decoding with DCMTK", file.string(), table.error().message);
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

Result<CineService::FrameSet> CineService::Frames(const std::filesystem::path& file,
                                                  const std::vector<std::uint32_t>& wanted, Form form) {
  auto instance = Open(file);
  if (!instance) return std::unexpected(instance.error());
  FrameSet set;
  const auto& table = (*instance)->table;
  const bool walkable = table && (!table->frames.empty()) &&
                        (form == Form::kStored || !table->encapsulated || dicom::CanDecodeFrames(table->transfer_syntax));
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

Result<CineService::Bytes> CineService::Rendered(const std::filesystem::path& file, const dicom::RenderOptions& options) {
  const std::string key = file.string() + "|" + options.Key();
  if (auto hit = caches_->rendered.Get(key)) return hit;
  auto instance = Open(file);
  if (!instance) return std::unexpected(instance.error());
  const auto& table = (*instance)->table;
  Result<dicom::DisplayImage> image = Fail(ErrorCode::kInternal, "not rendered");
  if (table && !table->frames.empty() && (!table->encapsulated || dicom::CanDecodeFrames(table->transfer_syntax))) {
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

CineService::Stats CineService::stats() const {
  auto d = caches_->decoded.stats();
  auto r = caches_->rendered.stats();
  return {d.entries, d.bytes, r.entries, r.bytes, d.hits + r.hits, d.misses + r.misses};
}

}  // namespace systole::services
