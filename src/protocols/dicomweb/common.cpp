#include <fmt/format.h>

#include <atomic>
#include <random>

#include "protocols/dicomweb/internal.h"

#include "dicom/dicom_json.h"

namespace systole::dicomweb {

using domain::Attribute;

std::vector<MediaRange> AcceptedRanges(const std::string& accept) {
  std::vector<MediaRange> out;
  std::size_t start = 0;
  while (start < accept.size()) {
    std::size_t end = accept.find(',', start);
    const std::string range = accept.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string type = range.substr(0, range.find(';'));
    const auto first = type.find_first_not_of(' '), last = type.find_last_not_of(' ');
    type = first == std::string::npos ? "" : type.substr(first, last - first + 1);
    for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    MediaRange media{type, MediaTypeParameter(range, "transfer-syntax"), false};
    if (type == "multipart/related" || type == "multipart/*") {
      media.type = MediaTypeParameter(range, "type");
      media.multipart = true;
    }
    if (!type.empty()) out.push_back(std::move(media));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

Result<std::vector<std::uint32_t>> ParseFrameList(const std::string& list) {
  std::vector<std::uint32_t> numbers;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t end = list.find(',', start);
    const std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (item.empty() || item.size() > 9 || item.find_first_not_of("0123456789") != std::string::npos || std::stoul(item) == 0)
      return Fail(ErrorCode::kInvalidArgument, "frame numbers are positive integers separated by commas");
    if (numbers.size() == kMaxFrameList)
      return Fail(ErrorCode::kInvalidArgument, fmt::format("at most {} frames per request", kMaxFrameList));
    numbers.push_back(static_cast<std::uint32_t>(std::stoul(item)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return numbers;
}

bool AcceptsJson(const std::string& accept) {
  if (accept.empty()) return true;
  for (const auto& range : AcceptedRanges(accept))
    if (range.type == "*/*" || range.type == "application/*" || range.type == "application/json" ||
        range.type == "application/dicom+json")
      return true;
  return false;
}

std::string BaseUrl(const http::HttpRequest& request) {
  std::string host = request.Header("host");
  if (host.empty()) host = "localhost";
  return "http://" + host + "/dicomweb";
}

http::HttpResponse ErrorResponse(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument: return http::HttpResponse::Error(400, error.message);
    case ErrorCode::kNotFound: return http::HttpResponse::Error(404, error.message);
    case ErrorCode::kAlreadyExists: return http::HttpResponse::Error(409, error.message);
    case ErrorCode::kPermissionDenied: return http::HttpResponse::Error(403, error.message);
    case ErrorCode::kUnavailable: return http::HttpResponse::Error(503, error.message);
    case ErrorCode::kInternal: break;
  }
  return http::HttpResponse::Error(500, error.message);
}

nlohmann::json JsonValue(const std::string& vr, const std::string& value) {
  nlohmann::json out = {{"vr", vr}};
  if (value.empty()) return out;
  nlohmann::json values = nlohmann::json::array();
  std::size_t start = 0;
  while (true) {
    std::size_t end = value.find('\\', start);
    std::string item = value.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (vr == "PN") {
      values.push_back(item.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(dicom::PersonNameJson(item)));
    } else if (vr == "IS" || vr == "US" || vr == "UL" || vr == "SS" || vr == "SL" || vr == "DS" || vr == "FL" ||
               vr == "FD") {
      try {
        std::size_t used = 0;
        double number = std::stod(item, &used);
        if (vr == "DS" || vr == "FL" || vr == "FD") values.push_back(number);
        else values.push_back(static_cast<long long>(number));
      } catch (...) {
        values.push_back(nullptr);
      }
    } else {
      values.push_back(item);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  out["Value"] = values;
  return out;
}

std::string NewBoundary() {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("systole-{:016x}-{}", rng(), counter++);
}

std::string MediaTypeParameter(std::string_view header, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    while (pos < header.size() && header[pos] == ' ') ++pos;
    std::size_t eq = header.find('=', pos);
    if (eq == std::string_view::npos) break;
    std::string key(header.substr(pos, eq - pos));
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t value_start = eq + 1;
    std::size_t value_end;
    std::string value;
    if (value_start < header.size() && header[value_start] == '"') {
      value_end = header.find('"', value_start + 1);
      value = std::string(header.substr(value_start + 1, value_end - value_start - 1));
    } else {
      value_end = header.find_first_of(";,", value_start);
      value = std::string(header.substr(value_start, value_end == std::string_view::npos ? std::string_view::npos : value_end - value_start));
      while (!value.empty() && value.back() == ' ') value.pop_back();
    }
    if (key == name) return value;
    pos = value_end == std::string_view::npos ? header.size() : value_end;
  }
  return {};
}

Result<std::vector<Part>> SplitMultipart(std::string_view body, const std::string& boundary) {
  if (boundary.empty() || boundary.size() > 70) return Fail(ErrorCode::kInvalidArgument, "multipart boundary missing or too long");
  const std::string delimiter = "--" + boundary;
  std::vector<Part> parts;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return Fail(ErrorCode::kInvalidArgument, "multipart body has no boundary delimiter");
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") break;  // close delimiter
    std::size_t line_end = body.find("\r\n", pos);
    if (line_end == std::string_view::npos) return Fail(ErrorCode::kInvalidArgument, "multipart part truncated");
    std::size_t headers_end = body.find("\r\n\r\n", line_end);
    if (headers_end == std::string_view::npos) return Fail(ErrorCode::kInvalidArgument, "multipart part headers not terminated");
    Part part;
    std::string_view headers = body.substr(line_end + 2, headers_end - line_end - 2);
    std::size_t h = 0;
    while (h < headers.size()) {
      std::size_t end = headers.find("\r\n", h);
      std::string_view line = headers.substr(h, end == std::string_view::npos ? std::string_view::npos : end - h);
      auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (name == "content-type") part.content_type = std::string(value);
      }
      if (end == std::string_view::npos) break;
      h = end + 2;
    }
    std::size_t next = body.find("\r\n" + delimiter, headers_end + 4);
    if (next == std::string_view::npos) return Fail(ErrorCode::kInvalidArgument, "multipart body has no closing delimiter");
    part.body = body.substr(headers_end + 4, next - headers_end - 4);
    parts.push_back(part);
    pos = next + 2;
  }
  return parts;
}

domain::Query PathQuery(const http::HttpRequest& request) {
  domain::Query query;
  query.level = domain::Level::kInstance;
  auto add = [&](const char* param, Attribute attribute) {
    auto it = request.path_params.find(param);
    if (it == request.path_params.end()) return;
    domain::Matcher m;
    m.kind = domain::Matcher::Kind::kSingle;
    m.value = it->second;
    query.conditions.push_back({attribute, m});
  };
  add("study", Attribute::StudyInstanceUID);
  add("series", Attribute::SeriesInstanceUID);
  add("instance", Attribute::SOPInstanceUID);
  return query;
}

}  // namespace systole::dicomweb
