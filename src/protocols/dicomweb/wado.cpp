// WADO-RS: whole instances (multipart/related application/dicom, streamed from
// the stored files), metadata (DICOM JSON), frames and bulk data.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <map>

#include "base/log.h"
#include "dicom/dicom_json.h"
#include "dicom/frame_decoder.h"
#include "dicom/patient_module.h"
#include "dicom/transcode.h"
#include "protocols/dicomweb/internal.h"

namespace systole::dicomweb {

bool StreamFileTo(const std::filesystem::path& path, http::BodyWriter& writer) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  const bool ok = ::fstat(fd, &st) == 0 && writer.WriteFile(fd, 0, static_cast<std::uint64_t>(st.st_size));
  ::close(fd);
  return ok;
}

namespace {

constexpr const char* kExplicitLittleEndian = "1.2.840.10008.1.2.1";

// The transfer syntaxes the Accept header names for application/dicom, in order
// ("*" = as stored). Without a transfer-syntax parameter PS3.18 means Explicit VR
// Little Endian. Empty: application/dicom is not acceptable.
std::vector<std::string> AcceptedDicomSyntaxes(const std::string& accept) {
  if (accept.empty()) return {kExplicitLittleEndian};
  std::vector<std::string> out;
  for (const auto& range : AcceptedRanges(accept))
    if ((range.multipart && range.type.empty()) || range.type == "*/*" || range.type == "application/dicom")
      out.push_back(range.transfer_syntax.empty() ? kExplicitLittleEndian : range.transfer_syntax);
  return out;
}

bool IsNative(const std::string& ts) {
  return ts == "1.2.840.10008.1.2" || ts == kExplicitLittleEndian || ts == "1.2.840.10008.1.2.1.99" ||
         ts == "1.2.840.10008.1.2.2";
}

// The syntax an instance is sent in for an accepted syntax; "" if it cannot be.
std::string SendSyntax(const std::string& accepted, const domain::StoredInstance& instance) {
  const std::string& stored = instance.transfer_syntax_uid;
  if (accepted == "*" || accepted == stored) return stored;
  if (!dicom::CanTranscodeTo(accepted)) return "";
  if (!IsNative(stored) && !dicom::CanDecode(stored)) return "";  // pixel data we cannot decode
  return accepted;
}

// multipart/related of frames: one part per frame, or all frames in one part
// (pixel data bulk data). Every part has `part_type` as Content-Type.
http::HttpResponse FrameParts(std::vector<services::CineService::Bytes> frames, const std::string& part_type, bool one_part) {
  const std::string boundary = NewBoundary();
  const std::string media = part_type.substr(0, part_type.find(';'));
  http::HttpResponse response;
  response.With("Content-Type", "multipart/related; type=\"" + media + "\"; boundary=" + boundary);
  response.stream = [frames = std::move(frames), boundary, part_type, one_part](http::BodyWriter& writer) {
    const std::string head = "--" + boundary + "\r\nContent-Type: " + part_type + "\r\n\r\n";
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if ((i == 0 || !one_part) && !writer.Write(head)) return;
      if (!writer.Write(*frames[i])) return;
      if (!one_part && !writer.Write("\r\n")) return;
    }
    writer.Write(one_part ? "\r\n--" + boundary + "--\r\n" : "--" + boundary + "--\r\n");
  };
  return response;
}

// The media type of a compressed syntax's frames (PS3.18 Table 8.7.3-2); "" for native syntaxes.
std::string FrameMediaType(const std::string& ts) {
  static const std::map<std::string, std::string> kTypes = {
      {"1.2.840.10008.1.2.4.50", "image/jpeg"},      {"1.2.840.10008.1.2.4.51", "image/jpeg"},
      {"1.2.840.10008.1.2.4.57", "image/jpeg"},      {"1.2.840.10008.1.2.4.70", "image/jpeg"},
      {"1.2.840.10008.1.2.4.80", "image/jls"},       {"1.2.840.10008.1.2.4.81", "image/jls"},
      {"1.2.840.10008.1.2.4.90", "image/jp2"},       {"1.2.840.10008.1.2.4.91", "image/jp2"},
      {"1.2.840.10008.1.2.4.92", "image/jpx"},       {"1.2.840.10008.1.2.4.93", "image/jpx"},
      {"1.2.840.10008.1.2.4.201", "image/jphc"},     {"1.2.840.10008.1.2.4.202", "image/jphc"},
      {"1.2.840.10008.1.2.4.203", "image/jphc"},     {"1.2.840.10008.1.2.5", "image/dicom-rle"},
      {"1.2.840.10008.1.2.4.100", "video/mpeg"},     {"1.2.840.10008.1.2.4.101", "video/mpeg"},
      {"1.2.840.10008.1.2.4.102", "video/mp4"},      {"1.2.840.10008.1.2.4.103", "video/mp4"},
      {"1.2.840.10008.1.2.4.104", "video/mp4"},      {"1.2.840.10008.1.2.4.105", "video/mp4"},
      {"1.2.840.10008.1.2.4.106", "video/mp4"},      {"1.2.840.10008.1.2.4.107", "video/H265"},
      {"1.2.840.10008.1.2.4.108", "video/H265"}};
  auto it = kTypes.find(ts);
  return it == kTypes.end() ? "" : it->second;
}

// Which form of the frames the Accept header asks for, in its order of preference:
// decoded (application/octet-stream, Explicit VR Little Endian) or as stored
// (the stored syntax's media type). nullopt: nothing acceptable.
std::optional<services::CineService::Form> AcceptedFrameForm(const std::string& accept, const std::string& stored_ts) {
  using Form = services::CineService::Form;
  if (accept.empty()) return Form::kDecoded;
  const std::string stored_type = FrameMediaType(stored_ts);
  for (const auto& range : AcceptedRanges(accept)) {
    const std::string type = range.type.empty() ? "application/octet-stream" : range.type;
    const std::string& ts = range.transfer_syntax;
    if (type == "*/*") return Form::kDecoded;
    if (type == "application/octet-stream" && (ts.empty() || ts == "*" || ts == kExplicitLittleEndian))
      return Form::kDecoded;
    // image/x-dicom-rle: the name PS3.18 used before image/dicom-rle, still sent by clients.
    const bool same_type = type == stored_type || (stored_type == "image/dicom-rle" && type == "image/x-dicom-rle");
    if (!stored_type.empty() && same_type && (ts.empty() || ts == "*" || ts == stored_ts)) return Form::kStored;
  }
  return std::nullopt;
}

std::string InstanceUrl(const http::HttpRequest& request, const domain::StoredInstance& instance) {
  return BaseUrl(request) + "/studies/" + instance.study_instance_uid + "/series/" + instance.series_instance_uid +
         "/instances/" + instance.sop_instance_uid;
}

Result<services::QueryService::RetrieveSet> Locate(const http::HttpRequest& request, services::QueryService& query) {
  auto set = query.Retrieve(PathQuery(request));
  if (!set) return set;
  if (set->instances.empty())
    return Fail(set->missing.empty() ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                set->missing.empty() ? "no such study, series or instance" : "the stored files are unreadable");
  return set;
}

}  // namespace

http::HttpResponse Retrieve(const http::HttpRequest& request, services::QueryService& query) {
  const auto accepted = AcceptedDicomSyntaxes(request.Header("accept"));
  if (accepted.empty())
    return http::HttpResponse::Error(406, "acceptable: multipart/related; type=\"application/dicom\"");
  auto set = Locate(request, query);
  if (!set) return ErrorResponse(set.error());
  // The first accepted syntax every instance can be sent in.
  std::vector<std::string> send;
  std::string refusal;
  for (const auto& syntax : accepted) {
    send.clear();
    for (const auto& item : set->instances) {
      std::string ts = SendSyntax(syntax, item.instance);
      if (ts.empty()) {
        refusal = "instance " + item.instance.sop_instance_uid + " is stored as " + item.instance.transfer_syntax_uid +
                  " and cannot be sent as " + syntax + " (ask for transfer-syntax=* to get it as stored)";
        break;
      }
      send.push_back(std::move(ts));
    }
    if (send.size() == set->instances.size()) break;
  }
  if (send.size() != set->instances.size()) return http::HttpResponse::Error(406, refusal);
  const std::string boundary = NewBoundary();
  auto part_head = [boundary](const std::string& syntax) {
    return "--" + boundary + "\r\nContent-Type: application/dicom; transfer-syntax=" + syntax + "\r\n\r\n";
  };
  http::HttpResponse response;
  response.With("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary);
  // Files sent as stored have a known size: announce the length (no chunk framing).
  std::uint64_t length = boundary.size() + 6;
  for (std::size_t i = 0; i < set->instances.size() && length > 0; ++i) {
    const auto& instance = set->instances[i].instance;
    if (send[i] != instance.transfer_syntax_uid || instance.blob.size == 0 || set->instances[i].corrected_patient)
      length = 0;
    else length += part_head(send[i]).size() + instance.blob.size + 2;
  }
  if (length > 0) response.stream_length = length;
  response.stream = [instances = std::move(set->instances), send = std::move(send), boundary,
                     part_head](http::BodyWriter& writer) {
    for (std::size_t i = 0; i < instances.size(); ++i) {
      const auto& item = instances[i];
      const std::string head = part_head(send[i]);
      if (send[i] == item.instance.transfer_syntax_uid && !item.corrected_patient) {
        if (!writer.Write(head) || !StreamFileTo(item.path, writer) || !writer.Write("\r\n")) return;
        continue;
      }
      // Converted, or rewritten in memory with the index's current patient module (IHE PIR).
      auto converted = dicom::Transcode(item.path, send[i], item.corrected_patient ? &*item.corrected_patient : nullptr);
      if (!converted) {  // the status line is gone: end the stream short, the client sees a truncated body
        LOG_ERROR("dicomweb", "cannot send {} as {}: {}", item.instance.sop_instance_uid, send[i], converted.error().message);
        return;
      }
      if (!writer.Write(head) || !writer.Write(*converted) || !writer.Write("\r\n")) return;
    }
    writer.Write("--" + boundary + "--\r\n");
  };
  return response;
}

http::HttpResponse RetrieveMetadata(const http::HttpRequest& request, const Services& services) {
  if (!AcceptsJson(request.Header("accept"))) return http::HttpResponse::Error(406, "metadata is application/dicom+json");
  auto set = Locate(request, services.query);
  if (!set) return ErrorResponse(set.error());
  std::string body = "[";
  for (const auto& item : set->instances) {
    auto json = services.cine.Metadata(item.path, InstanceUrl(request, item.instance) + "/bulk");
    if (!json) {
      LOG_ERROR("dicomweb", "metadata of {}: {}", item.instance.sop_instance_uid, json.error().message);
      return ErrorResponse(json.error());
    }
    if (item.corrected_patient) {
      auto corrected = dicom::PatientCorrectedJson(*json, *item.corrected_patient);
      if (!corrected) return ErrorResponse(corrected.error());
      *json = std::move(*corrected);
    }
    if (body.size() > 1) body += ",";
    body += *json;
  }
  body += "]";
  return http::HttpResponse::Json(200, std::move(body), "application/dicom+json");
}

http::HttpResponse RetrieveFrames(const http::HttpRequest& request, const Services& services) {
  auto parsed = ParseFrameList(request.PathParam("frames"));
  if (!parsed) return ErrorResponse(parsed.error());
  const std::vector<std::uint32_t> numbers = std::move(*parsed);
  auto set = Locate(request, services.query);
  if (!set) return ErrorResponse(set.error());
  const auto& item = set->instances.front();
  const std::string& stored_ts = item.instance.transfer_syntax_uid;
  auto form = AcceptedFrameForm(request.Header("accept"), stored_ts);
  if (!form) {
    const std::string stored_type = FrameMediaType(stored_ts);
    return http::HttpResponse::Error(
        406, "acceptable: multipart/related; type=\"application/octet-stream\"" +
                 (stored_type.empty() ? std::string() : " or type=\"" + stored_type + "\" (as stored, " + stored_ts + ")"));
  }
  // The first frame answers for the status line (and checks the request); the others are read
  // (or decoded) while the response streams, so the first bytes leave at once and a long loop
  // is never held in memory whole.
  auto first = services.cine.Frames(item.path, {numbers.front()}, *form);
  if (!first) return ErrorResponse(first.error());
  for (std::uint32_t n : numbers)
    if (n > first->number_of_frames)
      return http::HttpResponse::Error(404, "frame " + std::to_string(n) + " out of range 1-" +
                                                std::to_string(first->number_of_frames));
  const std::string type = FrameMediaType(first->transfer_syntax);
  const std::string part_type =
      (type.empty() ? "application/octet-stream" : type) + "; transfer-syntax=" + first->transfer_syntax;
  const bool whole_stream = *form == services::CineService::Form::kStored && type.starts_with("video/");
  if (numbers.size() == 1 || whole_stream) return FrameParts(std::move(first->frames), part_type, /*one_part=*/false);
  const std::string boundary = NewBoundary();
  http::HttpResponse response;
  response.With("Content-Type", "multipart/related; type=\"" + part_type.substr(0, part_type.find(';')) +
                                    "\"; boundary=" + boundary);
  response.stream = [&cine = services.cine, path = item.path, numbers, form = *form, first = std::move(first->frames),
                     boundary, part_type](http::BodyWriter& writer) {
    const std::string head = "--" + boundary + "\r\nContent-Type: " + part_type + "\r\n\r\n";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // frames stored as served go file → socket
    // One frame's part; false ends the stream short (client gone, or a frame that cannot be
    // read or decoded after the status line was sent).
    auto write_frame = [&](std::size_t i) {
      if (i > 0 && fd >= 0) {
        if (auto ranges = cine.FrameRanges(path, numbers[i], form)) {
          bool ok = writer.Write(head);
          for (const auto& range : *ranges) ok = ok && writer.WriteFile(fd, range.offset, range.length);
          return ok && writer.Write("\r\n");
        }
      }
      services::CineService::Bytes frame = first.front();
      if (i > 0) {
        auto next = cine.Frames(path, {numbers[i]}, form);
        if (!next) {
          LOG_ERROR("dicomweb", "frame {} of {}: {}", numbers[i], path.string(), next.error().message);
          return false;
        }
        frame = next->frames.front();
      }
      return writer.Write(head) && writer.Write(*frame) && writer.Write("\r\n");
    };
    bool ok = true;
    for (std::size_t i = 0; ok && i < numbers.size(); ++i) ok = write_frame(i);
    if (ok) writer.Write("--" + boundary + "--\r\n");
    if (fd >= 0) ::close(fd);
  };
  return response;
}

http::HttpResponse RetrieveBulk(const http::HttpRequest& request, const Services& services) {
  auto tag = dicom::TagFromKeywordOrHex(request.PathParam("tag"));
  if (!tag) return http::HttpResponse::Error(400, "bulk data path must end in an 8-digit tag");
  auto set = Locate(request, services.query);
  if (!set) return ErrorResponse(set.error());
  if (*tag != 0x7FE00010) {
    auto value = dicom::ElementValue(set->instances.front().path, *tag);
    if (!value) return ErrorResponse(value.error());
    std::vector<services::CineService::Bytes> one{std::make_shared<const std::string>(std::move(*value))};
    if (request.Header("accept").starts_with("application/octet-stream")) {
      http::HttpResponse response;
      response.body = *one.front();
      response.With("Content-Type", "application/octet-stream");
      response.With("Accept-Ranges", "bytes");
      return response;
    }
    return FrameParts(std::move(one), "application/octet-stream", /*one_part=*/true);
  }
  auto frames = services.cine.Frames(set->instances.front().path, {}, services::CineService::Form::kDecoded);
  if (!frames) return ErrorResponse(frames.error());
  if (request.Header("accept").starts_with("application/octet-stream")) {
    // Single part: the raw value, so that a client can fetch byte ranges of it.
    http::HttpResponse response;
    for (const auto& f : frames->frames) response.body += *f;
    response.With("Content-Type", "application/octet-stream; transfer-syntax=" + frames->transfer_syntax);
    response.With("Accept-Ranges", "bytes");
    return response;
  }
  return FrameParts(std::move(frames->frames), "application/octet-stream; transfer-syntax=" + frames->transfer_syntax,
                    /*one_part=*/true);
}

}  // namespace systole::dicomweb
