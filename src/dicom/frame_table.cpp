#include "dicom/frame_table.h"

#include "dicom/j2k_codec.h"
#include "dicom/video_codec.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <string_view>

namespace systole::dicom {
namespace {

constexpr std::uint32_t kUndefined = 0xFFFFFFFF;
constexpr std::uint32_t Tag(std::uint16_t group, std::uint16_t element) { return (std::uint32_t{group} << 16) | element; }
constexpr std::uint32_t kItem = Tag(0xFFFE, 0xE000), kItemEnd = Tag(0xFFFE, 0xE00D), kSequenceEnd = Tag(0xFFFE, 0xE0DD);
constexpr std::uint32_t kPixelData = Tag(0x7FE0, 0x0010), kExtendedOffsets = Tag(0x7FE0, 0x0001),
                        kExtendedLengths = Tag(0x7FE0, 0x0002);

// The file, mapped read-only for the walk (only header pages are touched).
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const std::uint8_t*>(p);
        size_ = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

struct Header {
  std::uint32_t tag = 0;
  char vr[2] = {0, 0};
  std::uint32_t length = 0;
  std::size_t header_size = 0;
};

class Walker {
 public:
  Walker(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  std::uint16_t U16(std::size_t at) const { return static_cast<std::uint16_t>(data_[at] | (data_[at + 1] << 8)); }
  std::uint32_t U32(std::size_t at) const { return U16(at) | (std::uint32_t{U16(at + 2)} << 16); }
  std::uint64_t U64(std::size_t at) const { return U32(at) | (std::uint64_t{U32(at + 4)} << 32); }
  bool Has(std::size_t at, std::size_t n) const { return at <= size_ && n <= size_ - at; }
  std::string_view Text(std::size_t at, std::size_t n) const {
    std::string_view v(reinterpret_cast<const char*>(data_ + at), n);
    while (!v.empty() && (v.back() == '\0' || v.back() == ' ')) v.remove_suffix(1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return v;
  }

  // The element header at `at`; false if it runs past the end.
  bool Read(std::size_t at, bool explicit_vr, Header& h) const {
    if (!Has(at, 8)) return false;
    h.tag = (std::uint32_t{U16(at)} << 16) | U16(at + 2);
    if ((h.tag >> 16) == 0xFFFE || !explicit_vr) {  // items and delimiters never carry a VR
      h.vr[0] = h.vr[1] = 0;
      h.length = U32(at + 4);
      h.header_size = 8;
      return true;
    }
    h.vr[0] = static_cast<char>(data_[at + 4]);
    h.vr[1] = static_cast<char>(data_[at + 5]);
    static constexpr std::string_view kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
    const std::string_view vr(h.vr, 2);
    for (auto l : kLong)
      if (vr == l) {
        if (!Has(at, 12)) return false;
        h.length = U32(at + 8);
        h.header_size = 12;
        return true;
      }
    h.length = U16(at + 6);
    h.header_size = 8;
    return true;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};

std::uint32_t ParseCount(std::string_view text) {
  std::uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() ? value : 0;
}

bool IsJpegFamily(std::string_view ts) {
  for (auto t : {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
                 "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"})
    if (ts == t) return true;
  return false;
}

// Groups the fragments of encapsulated pixel data into frames.
Status MapFragments(const Walker& w, FrameTable& table, const std::vector<ByteRange>& fragments,
                    const std::vector<std::uint64_t>& offsets, std::size_t first_item) {
  const std::uint32_t n = table.number_of_frames;
  if (VideoCodecOf(table.transfer_syntax).has_value()) {
    table.stream = fragments;
    return {};
  }
  if (fragments.empty()) return Fail(ErrorCode::kInvalidArgument, "encapsulated pixel data has no fragments");
  auto& frames = table.frames;
  if (offsets.size() == n && n > 0) {
    // Offsets count from the first fragment item's tag; a fragment's item tag is 8 bytes before its data.
    std::size_t f = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint64_t begin = offsets[i], end = i + 1 < n ? offsets[i + 1] : UINT64_MAX;
      if (i > 0 && begin <= offsets[i - 1]) return Fail(ErrorCode::kInvalidArgument, "offset table is not increasing");
      frames.emplace_back();
      while (f < fragments.size()) {
        const std::uint64_t at = fragments[f].offset - 8 - first_item;
        if (at < begin) return Fail(ErrorCode::kInvalidArgument, "offset table does not point at fragments");
        if (at >= end) break;
        frames.back().push_back(fragments[f++]);
      }
      if (frames.back().empty()) return Fail(ErrorCode::kInvalidArgument, "offset table names an empty frame");
    }
    return {};
  }
  if (fragments.size() == n) {
    for (const auto& fragment : fragments) frames.push_back({fragment});
    return {};
  }
  if (n == 1) {
    frames.push_back(fragments);
    return {};
  }
  // No usable offset table: a frame starts where a fragment starts with the codestream's first marker.
  const bool jpeg = IsJpegFamily(table.transfer_syntax), j2k = IsJ2kTransferSyntax(table.transfer_syntax);
  if (!jpeg && !j2k) return Fail(ErrorCode::kInvalidArgument, "fragments cannot be assigned to frames");
  for (const auto& fragment : fragments) {
    bool starts = false;
    if (fragment.length >= 4 && w.Has(fragment.offset, 4)) {
      const std::uint16_t marker = static_cast<std::uint16_t>((w.U16(fragment.offset) >> 8) | (w.U16(fragment.offset) << 8));
      starts = jpeg ? marker == 0xFFD8 : (marker == 0xFF4F || w.U32(fragment.offset + 0) == 0x0C000000);
    }
    if (starts || frames.empty()) frames.emplace_back();
    frames.back().push_back(fragment);
  }
  if (frames.size() != n) return Fail(ErrorCode::kInvalidArgument, "fragments do not match the number of frames");
  return {};
}

}  // namespace

std::uint64_t FrameTable::FrameBytes() const {
  return std::uint64_t{rows} * columns * samples_per_pixel * (bits_allocated / 8);
}

Result<FrameTable> ScanFrameTable(const std::filesystem::path& file) {
  MappedFile mapped(file);
  if (!mapped.data()) return Fail(ErrorCode::kInvalidArgument, "cannot map " + file.string());
  Walker w(mapped.data(), mapped.size());
  if (!w.Has(128, 4) || std::memcmp(mapped.data() + 128, "DICM", 4) != 0)
    return Fail(ErrorCode::kInvalidArgument, "no Part 10 preamble");
  FrameTable table;
  std::size_t pos = 132;
  Header h;
  while (w.Read(pos, true, h) && (h.tag >> 16) == 0x0002) {  // file meta: always explicit little endian
    if (h.length == kUndefined || !w.Has(pos + h.header_size, h.length)) return Fail(ErrorCode::kInvalidArgument, "bad meta header");
    if (h.tag == Tag(0x0002, 0x0010)) table.transfer_syntax = std::string(w.Text(pos + h.header_size, h.length));
    pos += h.header_size + h.length;
  }
  const std::string& ts = table.transfer_syntax;
  if (ts == "1.2.840.10008.1.2.1.99" || ts == "1.2.840.10008.1.2.2" || ts.empty())
    return Fail(ErrorCode::kInvalidArgument, "transfer syntax " + ts + " is not walked");
  const bool explicit_top = ts != "1.2.840.10008.1.2";

  // Nested content is walked, not recursed into: `nesting` holds the VR mode of each open
  // undefined-length sequence (UN sequences are implicit VR); items and their delimiters are stepped over.
  std::vector<bool> nesting;
  std::uint32_t frames_text = 1;
  std::vector<std::uint64_t> extended_offsets;
  while (true) {
    const bool explicit_vr = nesting.empty() ? explicit_top : nesting.back();
    if (!w.Read(pos, explicit_vr, h)) return Fail(ErrorCode::kNotFound, "instance has no pixel data");
    const std::size_t value = pos + h.header_size;
    if (h.tag == kItemEnd) {
      pos = value;
      continue;
    }
    if (h.tag == kSequenceEnd) {
      if (nesting.empty()) return Fail(ErrorCode::kInvalidArgument, "unbalanced sequence delimiter");
      nesting.pop_back();
      pos = value;
      continue;
    }
    if (h.tag == kItem && h.length == kUndefined) {
      pos = value;
      continue;
    }
    if (h.length == kUndefined) {
      if (nesting.empty() && h.tag == kPixelData) {
        pos = value;
        break;  // encapsulated pixel data
      }
      nesting.push_back(explicit_vr && std::string_view(h.vr, 2) != "UN");
      pos = value;
      continue;
    }
    if (!w.Has(value, h.length)) return Fail(ErrorCode::kInvalidArgument, "element runs past the end of the file");
    if (nesting.empty()) {
      switch (h.tag) {
        case Tag(0x0028, 0x0010): table.rows = h.length >= 2 ? w.U16(value) : 0; break;
        case Tag(0x0028, 0x0011): table.columns = h.length >= 2 ? w.U16(value) : 0; break;
        case Tag(0x0028, 0x0002): table.samples_per_pixel = h.length >= 2 ? w.U16(value) : 1; break;
        case Tag(0x0028, 0x0100): table.bits_allocated = h.length >= 2 ? w.U16(value) : 0; break;
        case Tag(0x0028, 0x0101): table.bits_stored = h.length >= 2 ? w.U16(value) : 0; break;
        case Tag(0x0028, 0x0103): table.pixel_representation = h.length >= 2 ? w.U16(value) : 0; break;
        case Tag(0x0028, 0x0006): table.planar_configuration = h.length >= 2 ? w.U16(value) : 0; break;
        case Tag(0x0028, 0x0004): table.photometric = std::string(w.Text(value, h.length)); break;
        case Tag(0x0028, 0x0008): frames_text = ParseCount(w.Text(value, h.length)); break;
        case kExtendedOffsets:
          for (std::uint32_t i = 0; i + 8 <= h.length; i += 8) extended_offsets.push_back(w.U64(value + i));
          break;
        default: break;
      }
      if (h.tag == kPixelData) {  // native pixel data: frames lie end to end
        table.number_of_frames = std::max<std::uint32_t>(frames_text, 1);
        const std::uint64_t bytes = table.FrameBytes();
        if (table.bits_allocated % 8 != 0 || bytes == 0)
          return Fail(ErrorCode::kInvalidArgument, "pixel data is not byte-aligned per frame");
        if (bytes * table.number_of_frames > h.length)
          return Fail(ErrorCode::kInvalidArgument, "pixel data is shorter than its frames");
        for (std::uint32_t i = 0; i < table.number_of_frames; ++i) table.frames.push_back({{value + i * bytes, bytes}});
        return table;
      }
    }
    pos = value + h.length;
  }

  // Encapsulated: a Basic Offset Table item, then one item per fragment, then a delimiter.
  table.encapsulated = true;
  table.number_of_frames = std::max<std::uint32_t>(frames_text, 1);
  if (!w.Read(pos, false, h) || h.tag != kItem || h.length == kUndefined || !w.Has(pos + 8, h.length))
    return Fail(ErrorCode::kInvalidArgument, "encapsulated pixel data has no offset table item");
  std::vector<std::uint64_t> offsets = extended_offsets;
  if (offsets.empty())
    for (std::uint32_t i = 0; i + 4 <= h.length; i += 4) offsets.push_back(w.U32(pos + 8 + i));
  pos += 8 + h.length;
  const std::size_t first_item = pos;
  std::vector<ByteRange> fragments;
  while (true) {
    if (!w.Read(pos, false, h)) return Fail(ErrorCode::kInvalidArgument, "encapsulated pixel data is truncated");
    if (h.tag == kSequenceEnd) break;
    if (h.tag != kItem || h.length == kUndefined || !w.Has(pos + 8, h.length))
      return Fail(ErrorCode::kInvalidArgument, "malformed pixel data fragment");
    fragments.push_back({pos + 8, h.length});
    pos += 8 + h.length;
  }
  SYSTOLE_RETURN_IF_ERROR(MapFragments(w, table, fragments, offsets, first_item));
  return table;
}

}  // namespace systole::dicom
