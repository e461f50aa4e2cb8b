// WADO-RS rendered and thumbnail resources, and WADO-URI.
#include <fmt/format.h>

#include <charconv>

#include "base/log.h"
#include "dicom/transcode.h"
#include "protocols/dicomweb/internal.h"

namespace systole::dicomweb {
namespace {

bool ParseNumber(const std::string& text, double& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Fills options from Accept and the query (window, quality, viewport); an error response on bad input.
std::optional<http::HttpResponse> ReadOptions(const http::HttpRequest& request, dicom::RenderOptions& options,
                                              const std::string& content_type_param) {
  std::string wanted = content_type_param.empty() ? request.Header("accept") : content_type_param;
  const bool png = wanted.find("image/png") != std::string::npos &&
                   (wanted.find("image/jpeg") == std::string::npos || wanted.find("image/png") < wanted.find("image/jpeg"));
  const bool jpeg_ok = wanted.empty() || wanted.find("image/jpeg") != std::string::npos ||
                       wanted.find("*/*") != std::string::npos || wanted.find("image/*") != std::string::npos;
  if (!png && !jpeg_ok) return http::HttpResponse::Error(406, "rendered resources are image/jpeg or image/png");
  options.format = png ? dicom::RenderOptions::Format::kPng : dicom::RenderOptions::Format::kJpeg;
  if (auto q = request.Param("quality")) {
    double quality = 0;
    if (!ParseNumber(*q, quality) || quality < 1 || quality > 100)
      return http::HttpResponse::Error(400, "quality must be 1-100");
    options.quality = static_cast<int>(quality);
  }
  if (auto w = request.Param("window")) {
    auto comma = w->find(',');
    double center = 0, width = 0;
    auto second = comma == std::string::npos ? std::string::npos : w->find(',', comma + 1);
    if (comma == std::string::npos || !ParseNumber(w->substr(0, comma), center) ||
        !ParseNumber(w->substr(comma + 1, second == std::string::npos ? std::string::npos : second - comma - 1), width) ||
        width <= 0)
      return http::HttpResponse::Error(400, "window is center,width[,function] with width > 0");
    options.window_center = center;
    options.window_width = width;
  }
  if (auto v = request.Param("viewport")) {
    auto comma = v->find(',');
    double w = 0, h = 0;
    if (comma == std::string::npos || !ParseNumber(v->substr(0, comma), w) || !ParseNumber(v->substr(comma + 1), h) ||
        w < 1 || h < 1 || w > 8192 || h > 8192)
      return http::HttpResponse::Error(400, "viewport is width,height (1-8192)");
    options.max_width = static_cast<std::uint32_t>(w);
    options.max_height = static_cast<std::uint32_t>(h);
  }
  return std::nullopt;
}

http::HttpResponse RenderFirstInstance(const http::HttpRequest& request, const Services& services,
                                       const dicom::RenderOptions& options) {
  auto set = services.query.Retrieve(PathQuery(request));
  if (!set) return ErrorResponse(set.error());
  if (set->instances.empty()) return http::HttpResponse::Error(404, "no such study, series or instance");
  // A series or study is shown by its first instance with an image (an SR or ECG has none).
  auto image = services.cine.Rendered(set->instances.front().path, options);
  for (std::size_t i = 1; !image && image.error().code == ErrorCode::kNotFound && !request.path_params.contains("instance") &&
                          i < set->instances.size();
       ++i)
    image = services.cine.Rendered(set->instances[i].path, options);
  if (!image) return ErrorResponse(image.error());
  http::HttpResponse response;
  response.body = **image;
  response.With("Content-Type", options.format == dicom::RenderOptions::Format::kPng ? "image/png" : "image/jpeg");
  // A study's or series' image is its first instance with one, which a new instance can change.
  response.With("Cache-Control",
                request.path_params.contains("instance") ? "private, max-age=3600" : "private, no-cache");
  return response;
}

// Several rendered frames of one instance (/frames/{list}/rendered with a list): our extension of
// PS3.18's rendered frame resource, asked for with Accept: multipart/related; type="image/jpeg"
// (or image/png); one part per frame in the list's order, streamed as each is rendered. A viewer
// loads a loop in a few requests instead of one per frame. A frame that fails after the status
// line was sent ends the stream short: the client asks for the missing frames one by one.
http::HttpResponse RenderFrameList(const http::HttpRequest& request, const Services& services,
                                   dicom::RenderOptions options, std::vector<std::uint32_t> numbers) {
  std::optional<dicom::RenderOptions::Format> format;
  for (const auto& range : AcceptedRanges(request.Header("accept"))) {
    if (!range.multipart) continue;
    if (range.type == "image/png") format = dicom::RenderOptions::Format::kPng;
    if (range.type == "image/jpeg" || range.type.empty() || range.type == "image/*") format = dicom::RenderOptions::Format::kJpeg;
    if (format) break;
  }
  if (!format)
    return http::HttpResponse::Error(406, "several rendered frames come as multipart/related; type=\"image/jpeg\" or \"image/png\"");
  options.format = *format;
  auto set = services.query.Retrieve(PathQuery(request));
  if (!set) return ErrorResponse(set.error());
  if (set->instances.empty()) return http::HttpResponse::Error(404, "no such instance");
  const auto path = set->instances.front().path;
  auto stored = services.cine.Frames(path, {numbers.front()}, services::CineService::Form::kStored);
  if (!stored) return ErrorResponse(stored.error());
  for (std::uint32_t n : numbers)
    if (n > stored->number_of_frames)
      return http::HttpResponse::Error(404, fmt::format("frame {} out of range 1-{}", n, stored->number_of_frames));
  options.frame = numbers.front();
  auto first = services.cine.Rendered(path, options);
  if (!first) return ErrorResponse(first.error());
  const std::string media = options.format == dicom::RenderOptions::Format::kPng ? "image/png" : "image/jpeg";
  const std::string boundary = NewBoundary();
  http::HttpResponse response;
  response.With("Content-Type", "multipart/related; type=\"" + media + "\"; boundary=" + boundary);
  response.With("Cache-Control", "private, max-age=3600");
  response.stream = [&cine = services.cine, path, options, numbers = std::move(numbers), first = std::move(*first), media,
                     boundary](http::BodyWriter& writer) mutable {
    const std::string head = "--" + boundary + "\r\nContent-Type: " + media + "\r\n\r\n";
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      services::CineService::Bytes frame = first;
      if (i > 0) {
        options.frame = numbers[i];
        auto next = cine.Rendered(path, options);
        if (!next) {
          LOG_ERROR("dicomweb", "rendered frame {} of {}: {}", numbers[i], path.string(), next.error().message);
          return;
        }
        frame = std::move(*next);
      }
      if (!writer.Write(head) || !writer.Write(*frame) || !writer.Write("\r\n")) return;
    }
    writer.Write("--" + boundary + "--\r\n");
  };
  return response;
}

}  // namespace

// The instance as MP4 (Accept: video/mp4), for smooth streaming of a loop in a <video> element.
http::HttpResponse RenderVideo(const http::HttpRequest& request, const Services& services) {
  auto set = services.query.Retrieve(PathQuery(request));
  if (!set) return ErrorResponse(set.error());
  if (set->instances.empty()) return http::HttpResponse::Error(404, "no such instance");
  auto video = services.cine.Video(set->instances.front().path);
  if (!video) return ErrorResponse(video.error());
  http::HttpResponse response;
  response.body = **video;
  response.With("Content-Type", "video/mp4");
  response.With("Cache-Control", "private, max-age=3600");
  response.With("Accept-Ranges", "bytes");
  return response;
}

http::HttpResponse RetrieveRendered(const http::HttpRequest& request, const Services& services, bool thumbnail) {
  const std::string accept = request.Header("accept");
  if (!thumbnail && !request.path_params.contains("frames") && accept.find("video/mp4") != std::string::npos &&
      (accept.find("image/") == std::string::npos || accept.find("video/mp4") < accept.find("image/")))
    return RenderVideo(request, services);
  dicom::RenderOptions options;
  if (thumbnail) options.max_width = options.max_height = 128;
  if (auto error = ReadOptions(request, options, "")) return *error;
  if (auto it = request.path_params.find("frames"); it != request.path_params.end()) {
    auto numbers = ParseFrameList(it->second);
    if (!numbers) return ErrorResponse(numbers.error());
    if (numbers->size() > 1) return RenderFrameList(request, services, options, std::move(*numbers));
    options.frame = numbers->front();
  }
  return RenderFirstInstance(request, services, options);
}

http::HttpResponse WadoUri(const http::HttpRequest& request, const Services& services) {
  if (request.Param("requestType").value_or("") != "WADO") return http::HttpResponse::Error(400, "requestType must be WADO");
  auto study = request.Param("studyUID"), series = request.Param("seriesUID"), object = request.Param("objectUID");
  if (!study || !series || !object) return http::HttpResponse::Error(400, "studyUID, seriesUID and objectUID are required");
  http::HttpRequest scoped = request;
  scoped.path_params = {{"study", *study}, {"series", *series}, {"instance", *object}};
  const std::string content_type = request.Param("contentType").value_or("image/jpeg");
  if (content_type == "application/dicom") {
    auto set = services.query.Retrieve(PathQuery(scoped));
    if (!set) return ErrorResponse(set.error());
    if (set->instances.empty()) return http::HttpResponse::Error(404, "no such object");
    const auto& item = set->instances.front();
    http::HttpResponse response;
    response.With("Content-Type", "application/dicom");
    if (item.corrected_patient) {  // the index's current patient module (IHE PIR), rewritten in memory
      auto corrected = dicom::Transcode(item.path, item.instance.transfer_syntax_uid, &*item.corrected_patient);
      if (!corrected) return ErrorResponse(corrected.error());
      response.body = std::move(*corrected);
      return response;
    }
    response.stream = [path = item.path](http::BodyWriter& writer) { StreamFileTo(path, writer); };
    return response;
  }
  dicom::RenderOptions options;
  if (auto error = ReadOptions(scoped, options, content_type)) return *error;
  if (auto frame = request.Param("frameNumber")) {
    if (frame->empty() || frame->size() > 9 || frame->find_first_not_of("0123456789") != std::string::npos)
      return http::HttpResponse::Error(400, "frameNumber must be a positive integer");
    options.frame = static_cast<std::uint32_t>(std::stoul(*frame));
  }
  if (auto center = request.Param("windowCenter"), width = request.Param("windowWidth"); center && width) {
    double c = 0, w = 0;
    if (!ParseNumber(*center, c) || !ParseNumber(*width, w) || w <= 0)
      return http::HttpResponse::Error(400, "windowCenter and windowWidth must be numbers, width > 0");
    options.window_center = c;
    options.window_width = w;
  }
  return RenderFirstInstance(scoped, services, options);
}

}  // namespace systole::dicomweb
