// CineService: the frame engine behind WADO-RS frames, rendered frames and the
// video rendition. Frames are located by offset in the stored file (a frame
// table built from the element headers once per file, cached), decoded only
// when stored compressed, and kept in size-bounded LRU caches, decoded and
// rendered. Frame N is the same pixels whichever endpoint serves it: rendered
// frames and video are made from the decoded frames this service returns.
// Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "dicom/frame_table.h"
#include "dicom/render.h"

namespace systole::services {

struct CineLimits {
  std::size_t decoded_bytes = std::size_t{512} << 20;   // decoded frames of compressed instances
  std::size_t rendered_bytes = std::size_t{128} << 20;  // JPEG/PNG frames and MP4 renditions
  std::size_t table_bytes = std::size_t{32} << 20;      // frame tables and image headers
};

class CineService {
 public:
  explicit CineService(const CineLimits& limits);
  ~CineService();
  CineService(const CineService&) = delete;
  CineService& operator=(const CineService&) = delete;

  using Bytes = std::shared_ptr<const std::string>;
  enum class Form {
    kDecoded,  // native little-endian pixels
    kStored,   // as stored: the compressed codestream of each frame (native data stays native)
  };
  struct FrameSet {
    std::vector<Bytes> frames;
    std::string transfer_syntax;  // of the bytes returned
    std::string photometric;      // of the bytes returned (a YBR JPEG decodes to RGB)
    std::uint32_t number_of_frames = 0;
  };
  // Builds and caches the frame table of a newly stored file (called at ingest), so that the
  // first frame request does not pay for it. Errors are ignored: Frames() reports them.
  void Prepare(const std::filesystem::path& file) { (void)Open(file); }

  // Frames `numbers` (1-based; empty = every frame) of the stored file. kNotFound: no pixel
  // data or a frame out of range; kInvalidArgument: the pixel data cannot be decoded.
  // kStored for a file whose frames cannot be located returns decoded frames (see transfer_syntax).
  Result<FrameSet> Frames(const std::filesystem::path& file, const std::vector<std::uint32_t>& numbers, Form form);

  // Where frame `number` lies in the stored file when it is served as stored bytes (a native
  // frame for kDecoded; the codestream's fragments for kStored): the server can then send it
  // from the file without copying. nullopt when it has to be decoded (or cannot be located).
  std::optional<std::vector<dicom::ByteRange>> FrameRanges(const std::filesystem::path& file, std::uint32_t number,
                                                           Form form);

  // A frame rendered for display (JPEG or PNG), cached by file and options.
  Result<Bytes> Rendered(const std::filesystem::path& file, const dicom::RenderOptions& options);

  // The instance as an MP4 video at its acquired frame rate (FrameTime / FrameTimeVector / CineRate):
  // a stored H.264/HEVC stream is put in MP4 as is, anything else is rendered frame by frame
  // (same pixels as Rendered) and encoded as H.264. Cached.
  Result<Bytes> Video(const std::filesystem::path& file);

  // The instance's DICOM JSON (metadata: frame timing, calibration, everything but bulk data),
  // with BulkDataURIs under `bulk_uri_prefix`. Parsed once per file and cached.
  Result<std::string> Metadata(const std::filesystem::path& file, const std::string& bulk_uri_prefix);

  struct Stats {
    std::size_t decoded_entries, decoded_bytes, rendered_entries, rendered_bytes, hits, misses;
  };
  Stats stats() const;

 private:
  struct Instance;
  struct Caches;
  Result<std::shared_ptr<const Instance>> Open(const std::filesystem::path& file);
  Result<std::shared_ptr<const dicom::ImageHeader>> Header(const std::filesystem::path& file);
  struct Decoded;
  Result<std::shared_ptr<const Decoded>> DecodedFrame(const std::filesystem::path& file, const Instance& instance,
                                                      std::uint32_t number);
  // Decodes a video stream once and caches every frame.
  Status DecodeVideoFrames(const std::filesystem::path& file, const Instance& instance);

  std::unique_ptr<Caches> caches_;
};

}  // namespace systole::services
