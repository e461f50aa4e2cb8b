// WADO-RS: whole instances (multipart/related application/dicom, streamed from
// the stored files), metadata (DICOM JSON), frames and bulk data.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/log.h"
#include "dicom/dicom_json.h"
#include "dicom/frames.h"
#include "protocols/dicomweb/internal.h"

namespace systole::dicomweb {
namespace {

constexpr std::size_t kChunk = 1 << 20;

}  // namespace

bool StreamFileTo(const std::filesystem::path& path, http::BodyWriter& writer) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  thread_local std::string buffer(kChunk, '\0');
  bool ok = true;
  while (ok) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    ok = writer.Write(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
  ::close(fd);
  return ok;
}

namespace {

// What the Accept header allows for an instance retrieve: nullopt = not acceptable.
// Returns the requested transfer syntax ("" = as stored).
std::optional<std::string> AcceptedDicomSyntax(const std::string& accept) {
  if (accept.empty()) return std::string();
  std::size_t start = 0;
  while (start <= accept.size()) {
    std::size_t end = accept.find(',', start);
    std::string range = accept.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!range.empty() && range.front() == ' ') range.erase(range.begin());
    if (range.starts_with("*/*") || range.starts_with("multipart/related") || range.starts_with("multipart/*")) {
      std::string type = MediaTypeParameter(range, "type");
      if (range.starts_with("*/*") || type.empty() || type == "application/dicom")
        return MediaTypeParameter(range, "transfer-syntax");
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

// multipart/related application/octet-stream: one part per frame, or all
// frames in one part (pixel data bulk data).
http::HttpResponse OctetStreamParts(std::vector<std::string> frames, bool one_part) {
  const std::string boundary = NewBoundary();
  http::HttpResponse response;
  response.With("Content-Type", "multipart/related; type=\"application/octet-stream\"; boundary=" + boundary);
  response.stream = [frames = std::move(frames), boundary, one_part](http::BodyWriter& writer) {
    const std::string head = "--" + boundary + "\r\nContent-Type: application/octet-stream\r\n\r\n";
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if ((i == 0 || !one_part) && !writer.Write(head)) return;
      if (!writer.Write(frames[i])) return;
      if (!one_part && !writer.Write("\r\n")) return;
    }
    writer.Write(one_part ? "\r\n--" + boundary + "--\r\n" : "--" + boundary + "--\r\n");
  };
  return response;
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
  auto syntax = AcceptedDicomSyntax(request.Header("accept"));
  if (!syntax)
    return http::HttpResponse::Error(406, "acceptable: multipart/related; type=\"application/dicom\"");
  auto set = Locate(request, query);
  if (!set) return ErrorResponse(set.error());
  for (const auto& item : set->instances) {
    if (!syntax->empty() && *syntax != "*" && *syntax != item.instance.transfer_syntax_uid)
      return http::HttpResponse::Error(406, "instance " + item.instance.sop_instance_uid + " is stored as " +
                                                item.instance.transfer_syntax_uid +
                                                "; transcoding on retrieve is not supported yet (ask for transfer-syntax=*)");
  }
  const std::string boundary = NewBoundary();
  http::HttpResponse response;
  response.With("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary);
  response.stream = [instances = std::move(set->instances), boundary](http::BodyWriter& writer) {
    for (const auto& item : instances) {
      std::string head = "--" + boundary + "\r\nContent-Type: application/dicom; transfer-syntax=" +
                         item.instance.transfer_syntax_uid + "\r\n\r\n";
      if (!writer.Write(head) || !StreamFileTo(item.path, writer) || !writer.Write("\r\n")) return;
    }
    writer.Write("--" + boundary + "--\r\n");
  };
  return response;
}

http::HttpResponse RetrieveMetadata(const http::HttpRequest& request, services::QueryService& query) {
  auto set = Locate(request, query);
  if (!set) return ErrorResponse(set.error());
  std::string body = "[";
  for (const auto& item : set->instances) {
    auto json = dicom::InstanceJson(item.path, InstanceUrl(request, item.instance) + "/bulk");
    if (!json) {
      LOG_ERROR("dicomweb", "metadata of {}: {}", item.instance.sop_instance_uid, json.error().message);
      return ErrorResponse(json.error());
    }
    if (body.size() > 1) body += ",";
    body += *json;
  }
  body += "]";
  return http::HttpResponse::Json(200, std::move(body), "application/dicom+json");
}

http::HttpResponse RetrieveFrames(const http::HttpRequest& request, services::QueryService& query) {
  std::vector<std::uint32_t> numbers;
  const std::string& list = request.PathParam("frames");
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(',', start);
    std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (item.empty() || item.size() > 9 || item.find_first_not_of("0123456789") != std::string::npos || std::stoul(item) == 0)
      return http::HttpResponse::Error(400, "frame numbers are positive integers separated by commas");
    numbers.push_back(static_cast<std::uint32_t>(std::stoul(item)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  const std::string accept = request.Header("accept");
  if (!accept.empty() && accept.find("*/*") == std::string::npos &&
      accept.find("application/octet-stream") == std::string::npos)
    return http::HttpResponse::Error(406, "acceptable: multipart/related; type=\"application/octet-stream\"");
  auto set = Locate(request, query);
  if (!set) return ErrorResponse(set.error());
  auto frames = dicom::ReadFrames(set->instances.front().path, numbers);
  if (!frames) return ErrorResponse(frames.error());
  return OctetStreamParts(std::move(*frames), /*one_part=*/false);
}

http::HttpResponse RetrieveBulk(const http::HttpRequest& request, services::QueryService& query) {
  auto tag = dicom::TagFromKeywordOrHex(request.PathParam("tag"));
  if (!tag) return http::HttpResponse::Error(400, "bulk data path must end in an 8-digit tag");
  auto set = Locate(request, query);
  if (!set) return ErrorResponse(set.error());
  if (*tag != 0x7FE00010) return http::HttpResponse::Error(404, "bulk data other than pixel data is not served yet");
  auto frames = dicom::ReadFrames(set->instances.front().path, {});
  if (!frames) return ErrorResponse(frames.error());
  return OctetStreamParts(std::move(*frames), /*one_part=*/true);
}

}  // namespace systole::dicomweb
