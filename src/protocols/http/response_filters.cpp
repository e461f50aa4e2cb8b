#include "protocols/http/response_filters.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>

namespace systole::http {
namespace {

bool HasHeader(const HttpResponse& response, std::string_view name, std::string_view value_part) {
  for (const auto& [n, v] : response.headers) {
    if (n.size() != name.size() || !std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      continue;
    if (v.find(value_part) != std::string::npos) return true;
  }
  return false;
}

std::string AllowedOrigin(const HttpRequest& request, const std::vector<std::string>& allowed) {
  const std::string origin = request.Header("origin");
  for (const auto& a : allowed) {
    if (a == "*") return "*";
    if (!origin.empty() && a == origin) return origin;
  }
  return "";
}

bool ParseOffset(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

void ApplyRange(const HttpRequest& request, HttpResponse& response) {
  const std::string range = request.Header("range");
  if (range.empty() || response.status != 200 || response.stream || !HasHeader(response, "Accept-Ranges", "bytes"))
    return;
  if (!range.starts_with("bytes=") || range.find(',') != std::string::npos) return;  // several ranges: whole body
  const std::string_view spec = std::string_view(range).substr(6);
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return;
  const std::uint64_t size = response.body.size();
  std::uint64_t first = 0, last = size ? size - 1 : 0;
  if (dash == 0) {  // suffix: the last N bytes
    std::uint64_t n = 0;
    if (!ParseOffset(spec.substr(1), n)) return;
    first = n >= size ? 0 : size - n;
  } else {
    if (!ParseOffset(spec.substr(0, dash), first)) return;
    if (dash + 1 < spec.size() && !ParseOffset(spec.substr(dash + 1), last)) return;
    last = std::min(last, size ? size - 1 : 0);
  }
  if (size == 0 || first >= size || first > last) {
    response = HttpResponse::Error(416, "range not satisfiable");
    response.With("Content-Range", "bytes */" + std::to_string(size));
    return;
  }
  response.status = 206;
  response.body = response.body.substr(first, last - first + 1);
  response.With("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
}

void ApplyGzip(const HttpRequest& request, HttpResponse& response) {
  if (response.stream || response.body.size() < 1024 || request.Header("accept-encoding").find("gzip") == std::string::npos)
    return;
  if (!HasHeader(response, "Content-Type", "json") || HasHeader(response, "Content-Encoding", "")) return;
  response.body = Gzip(response.body);
  response.With("Content-Encoding", "gzip");
  response.With("Vary", "Accept-Encoding");
}

}  // namespace

std::string Gzip(std::string_view data) {
  z_stream z{};
  // Level 1: JSON compresses ~10x even so, and metadata latency matters more than the last bytes.
  deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::optional<HttpResponse> CorsPreflight(const HttpRequest& request, const std::vector<std::string>& allowed) {
  if (request.method != "OPTIONS" || request.Header("access-control-request-method").empty()) return std::nullopt;
  const std::string origin = AllowedOrigin(request, allowed);
  if (origin.empty()) return HttpResponse::Error(403, "origin not allowed");
  HttpResponse response;
  response.status = 204;
  response.With("Access-Control-Allow-Origin", origin);
  response.With("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
  const std::string headers = request.Header("access-control-request-headers");
  response.With("Access-Control-Allow-Headers", headers.empty() ? "Accept, Content-Type, Authorization" : headers);
  response.With("Access-Control-Max-Age", "600");
  if (origin != "*") response.With("Vary", "Origin");
  return response;
}

void ApplyResponseFilters(const HttpRequest& request, HttpResponse& response, const std::vector<std::string>& allowed) {
  ApplyRange(request, response);
  ApplyGzip(request, response);
  if (const std::string origin = AllowedOrigin(request, allowed); !origin.empty() && request.method != "OPTIONS") {
    response.With("Access-Control-Allow-Origin", origin);
    response.With("Access-Control-Expose-Headers", "Content-Type, Content-Range, Content-Encoding, Content-Length");
    if (origin != "*") response.With("Vary", "Origin");
  }
}

}  // namespace systole::http
