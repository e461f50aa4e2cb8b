#include "protocols/http/static_files.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <utility>

#include "protocols/http/router.h"

namespace systole::http {
namespace {

constexpr std::array<std::string_view, 4> kServerPrefixes = {"api", "dicomweb", "wado", "healthz"};

constexpr std::string_view kNotBuiltPage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Systole</title></head>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Systole: viewer not built (run make build)</h1>"
    "<p>The web viewer has not been built in this installation (<code>make build</code> runs "
    "<code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>), or <code>http.web_root</code> "
    "points elsewhere. DICOMweb is available under <code>/dicomweb</code>.</p></body></html>";

std::string_view Extension(std::string_view name) {
  auto dot = name.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? std::string_view() : name.substr(dot + 1);
}

// A file name has an extension with a letter in it ("index-3f2a.js"); the
// app's own paths do not — a DICOM UID ("1.2.840.113857") is digits and dots.
bool LooksLikeFile(std::string_view name) {
  std::string_view ext = Extension(name);
  return !ext.empty() && ext.size() <= 12 &&
         std::any_of(ext.begin(), ext.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

// True when `path` is `root` or below it (both canonical).
bool Inside(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end();
}

HttpResponse FileResponse(const std::filesystem::path& root, const std::filesystem::path& relative,
                          std::string cache_control) {
  std::error_code ec;
  const auto canonical_root = std::filesystem::canonical(root, ec);
  if (ec) return HttpResponse::Error(404, "no such file");
  const auto file = std::filesystem::canonical(canonical_root / relative, ec);
  if (ec || !Inside(file, canonical_root) || !std::filesystem::is_regular_file(file, ec))
    return HttpResponse::Error(404, "no such file: /" + relative.generic_string());
  std::ifstream in(file, std::ios::binary);
  if (!in) return HttpResponse::Error(404, "cannot read /" + relative.generic_string());
  HttpResponse response;
  response.body.assign(std::istreambuf_iterator<char>(in), {});
  response.With("Content-Type", std::string(ContentTypeFor(file.filename().string())))
      .With("Cache-Control", std::move(cache_control));
  return response;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kTypes = {{
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"txt", "text/plain; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"woff", "font/woff"},
      {"wasm", "application/wasm"},
  }};
  std::string ext(Extension(file_name));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [extension, type] : kTypes)
    if (extension == ext) return type;
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::filesystem::path root) : root_(std::move(root)) {}

HttpResponse StaticFiles::Serve(const HttpRequest& request) const {
  auto segments = DecodePathSegments(request.path);
  if (!segments) return HttpResponse::Error(400, "invalid path segment");
  if (!segments->empty()) {
    for (auto prefix : kServerPrefixes)
      if (segments->front() == prefix) return HttpResponse::Error(404, "no such resource: " + request.path);
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(root_ / "index.html", ec)) {
    HttpResponse response;
    response.status = 503;
    response.body = kNotBuiltPage;
    response.With("Content-Type", "text/html; charset=utf-8").With("Cache-Control", "no-store");
    return response;
  }
  const bool is_file = !segments->empty() && LooksLikeFile(segments->back());
  if (!is_file) return FileResponse(root_, "index.html", "no-cache");
  std::filesystem::path relative;
  for (const auto& segment : *segments) relative /= segment;
  const bool hashed = segments->size() > 1 && segments->front() == "assets";
  return FileResponse(root_, relative, hashed ? "public, max-age=31536000, immutable" : "no-cache");
}

}  // namespace systole::http
