#include "dicom/j2k_codec.h"

#include <fmt/core.h>
#include <openjpeg.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace systole::dicom {
namespace {

constexpr std::array<std::string_view, 5> kJ2kSyntaxes = {
    "1.2.840.10008.1.2.4.90",   // JPEG 2000 lossless only
    "1.2.840.10008.1.2.4.91",   // JPEG 2000
    "1.2.840.10008.1.2.4.201",  // HTJ2K lossless
    "1.2.840.10008.1.2.4.202",  // HTJ2K lossless RPCL
    "1.2.840.10008.1.2.4.203",  // HTJ2K
};

// Raw codestream: SOC marker then SIZ marker.
constexpr unsigned char kJ2kMagic[] = {0xFF, 0x4F, 0xFF, 0x51};
// JP2: the 12-byte signature box.
constexpr unsigned char kJp2Magic[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A};

bool StartsWith(std::string_view data, const unsigned char* magic, std::size_t size) {
  return data.size() >= size && std::memcmp(data.data(), magic, size) == 0;
}

// The in-memory source the OpenJPEG stream reads from.
struct MemorySource {
  std::string_view data;
  std::size_t position = 0;
};

OPJ_SIZE_T ReadFromMemory(void* buffer, OPJ_SIZE_T bytes, void* user) {
  auto* source = static_cast<MemorySource*>(user);
  std::size_t left = source->data.size() - source->position;
  if (left == 0) return static_cast<OPJ_SIZE_T>(-1);  // OpenJPEG's end-of-stream signal
  std::size_t n = std::min<std::size_t>(bytes, left);
  std::memcpy(buffer, source->data.data() + source->position, n);
  source->position += n;
  return n;
}

OPJ_OFF_T SkipInMemory(OPJ_OFF_T bytes, void* user) {
  auto* source = static_cast<MemorySource*>(user);
  if (bytes < 0) {
    OPJ_OFF_T back = std::min<OPJ_OFF_T>(-bytes, static_cast<OPJ_OFF_T>(source->position));
    source->position -= static_cast<std::size_t>(back);
    return -back;
  }
  OPJ_OFF_T ahead = std::min<OPJ_OFF_T>(bytes, static_cast<OPJ_OFF_T>(source->data.size() - source->position));
  source->position += static_cast<std::size_t>(ahead);
  return ahead;
}

OPJ_BOOL SeekInMemory(OPJ_OFF_T offset, void* user) {
  auto* source = static_cast<MemorySource*>(user);
  if (offset < 0 || static_cast<std::size_t>(offset) > source->data.size()) return OPJ_FALSE;
  source->position = static_cast<std::size_t>(offset);
  return OPJ_TRUE;
}

// OpenJPEG reports problems through callbacks; keep the first error so the
// Result says why (messages end with a newline).
void RecordError(const char* message, void* user) {
  auto* text = static_cast<std::string*>(user);
  if (!text->empty()) return;
  *text = message;
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
}
void Ignore(const char*, void*) {}

struct CodecDeleter {
  void operator()(opj_codec_t* codec) const { opj_destroy_codec(codec); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* stream) const { opj_stream_destroy(stream); }
};
struct ImageDeleter {
  void operator()(opj_image_t* image) const { opj_image_destroy(image); }
};
using CodecPtr = std::unique_ptr<opj_codec_t, CodecDeleter>;
using StreamPtr = std::unique_ptr<opj_stream_t, StreamDeleter>;
using ImagePtr = std::unique_ptr<opj_image_t, ImageDeleter>;

// True when the main header asks for the inverse multi-component transform.
bool UsesComponentTransform(opj_codec_t* codec) {
  opj_codestream_info_v2_t* info = opj_get_cstr_info(codec);
  if (info == nullptr) return false;
  bool mct = info->m_default_tile_info.mct != 0;
  opj_destroy_cstr_info(&info);
  return mct;
}

// A decoded sample as the DICOM header reads it. `precision` bits hold the
// value; when the codestream's signedness differs from the header's, those
// bits are re-read as the header says.
std::int32_t Reinterpret(std::int32_t value, int precision, bool codestream_signed, bool want_signed) {
  const std::int64_t span = std::int64_t{1} << precision;
  if (codestream_signed == want_signed) {
    // Lossy decoding can overshoot by rounding; OpenJPEG clips, but be sure.
    std::int64_t low = want_signed ? -span / 2 : 0;
    std::int64_t high = want_signed ? span / 2 - 1 : span - 1;
    return static_cast<std::int32_t>(std::clamp<std::int64_t>(value, low, high));
  }
  std::int64_t bits = static_cast<std::int64_t>(value) & (span - 1);
  if (want_signed && bits >= span / 2) bits -= span;
  return static_cast<std::int32_t>(bits);
}

}  // namespace

bool IsJ2kTransferSyntax(std::string_view uid) {
  return std::find(kJ2kSyntaxes.begin(), kJ2kSyntaxes.end(), uid) != kJ2kSyntaxes.end();
}

Result<std::string> DecodeJ2kFrame(std::string_view codestream, const PixelLayout& expect, std::string* photometric_out) {
  if (expect.bits_allocated != 8 && expect.bits_allocated != 16)
    return Fail(ErrorCode::kInvalidArgument, fmt::format("JPEG 2000: BitsAllocated {} is not 8 or 16", expect.bits_allocated));
  if (expect.rows == 0 || expect.columns == 0 || expect.samples_per_pixel == 0)
    return Fail(ErrorCode::kInvalidArgument, "JPEG 2000: the expected frame has no pixels");

  OPJ_CODEC_FORMAT format;
  if (StartsWith(codestream, kJ2kMagic, sizeof kJ2kMagic))
    format = OPJ_CODEC_J2K;
  else if (StartsWith(codestream, kJp2Magic, sizeof kJp2Magic))
    format = OPJ_CODEC_JP2;
  else
    return Fail(ErrorCode::kInvalidArgument, "JPEG 2000: data is neither a J2K codestream nor a JP2 file");

  CodecPtr codec(opj_create_decompress(format));
  if (!codec) return Fail(ErrorCode::kInternal, "JPEG 2000: cannot create an OpenJPEG decoder");
  std::string error;
  opj_set_error_handler(codec.get(), RecordError, &error);
  opj_set_warning_handler(codec.get(), Ignore, nullptr);
  opj_set_info_handler(codec.get(), Ignore, nullptr);
  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  if (!opj_setup_decoder(codec.get(), &parameters)) return Fail(ErrorCode::kInternal, "JPEG 2000: decoder setup failed");
  // Strict mode (the 2.5 default) turns a truncated codestream into an error
  // instead of a silently partial image.
  opj_decoder_set_strict_mode(codec.get(), OPJ_TRUE);
  if (opj_has_thread_support()) opj_codec_set_threads(codec.get(), 2);  // code-blocks decode in parallel

  MemorySource source{codestream, 0};
  StreamPtr stream(opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE));
  if (!stream) return Fail(ErrorCode::kInternal, "JPEG 2000: cannot create a stream");
  opj_stream_set_user_data(stream.get(), &source, nullptr);
  opj_stream_set_user_data_length(stream.get(), codestream.size());
  opj_stream_set_read_function(stream.get(), ReadFromMemory);
  opj_stream_set_skip_function(stream.get(), SkipInMemory);
  opj_stream_set_seek_function(stream.get(), SeekInMemory);

  auto failed = [&error](std::string_view stage) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("JPEG 2000: {} failed{}{}", stage, error.empty() ? "" : ": ", error));
  };
  opj_image_t* raw_image = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw_image)) {
    opj_image_destroy(raw_image);
    return failed("reading the header");
  }
  ImagePtr image(raw_image);

  // Check the geometry before decoding so a lying header cannot make us
  // allocate for a huge image.
  if (image->numcomps != expect.samples_per_pixel)
    return Fail(ErrorCode::kInvalidArgument, fmt::format("JPEG 2000: {} components, header says {} samples per pixel",
                                                         image->numcomps, expect.samples_per_pixel));
  const OPJ_UINT32 width = image->x1 - image->x0, height = image->y1 - image->y0;
  if (width != expect.columns || height != expect.rows)
    return Fail(ErrorCode::kInvalidArgument, fmt::format("JPEG 2000: image is {}x{}, header says {}x{}", width, height,
                                                         expect.columns, expect.rows));
  for (OPJ_UINT32 c = 0; c < image->numcomps; ++c) {
    const opj_image_comp_t& comp = image->comps[c];
    if (comp.dx != 1 || comp.dy != 1)
      return Fail(ErrorCode::kInvalidArgument, "JPEG 2000: subsampled components are not supported");
    if (comp.prec == 0 || comp.prec > expect.bits_allocated)
      return Fail(ErrorCode::kInvalidArgument, fmt::format("JPEG 2000: component precision {} does not fit BitsAllocated {}",
                                                           comp.prec, expect.bits_allocated));
  }
  const bool rgb_from_transform = image->numcomps >= 3 && UsesComponentTransform(codec.get());

  if (!opj_decode(codec.get(), stream.get(), image.get())) return failed("decoding");
  if (!opj_end_decompress(codec.get(), stream.get())) return failed("finishing");

  const std::size_t pixels = std::size_t{expect.rows} * expect.columns;
  const std::size_t samples = expect.samples_per_pixel;
  const std::size_t bytes_per_sample = expect.bits_allocated / 8;
  for (OPJ_UINT32 c = 0; c < image->numcomps; ++c) {
    const opj_image_comp_t& comp = image->comps[c];
    if (comp.data == nullptr || comp.w != expect.columns || comp.h != expect.rows)
      return Fail(ErrorCode::kInvalidArgument, "JPEG 2000: a component was not fully decoded");
  }

  std::string out(pixels * samples * bytes_per_sample, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  for (std::size_t c = 0; c < samples; ++c) {
    const opj_image_comp_t& comp = image->comps[c];
    const int precision = static_cast<int>(comp.prec);
    const bool codestream_signed = comp.sgnd != 0;
    for (std::size_t i = 0; i < pixels; ++i) {
      // Two's complement truncated to the cell: sign-extends signed values,
      // leaves unsigned ones as they are.
      const auto cell = static_cast<std::uint32_t>(Reinterpret(comp.data[i], precision, codestream_signed, expect.is_signed));
      unsigned char* at = dst + (i * samples + c) * bytes_per_sample;
      at[0] = static_cast<unsigned char>(cell & 0xFF);
      if (bytes_per_sample == 2) at[1] = static_cast<unsigned char>((cell >> 8) & 0xFF);
    }
  }
  if (photometric_out) *photometric_out = rgb_from_transform ? "RGB" : "";
  return out;
}

}  // namespace systole::dicom
