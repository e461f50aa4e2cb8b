// StaticFiles: serves a built single-page application (the viewer, web/dist)
// from a directory, as the router's fallback for GET/HEAD.
//
//   http::StaticFiles site(config.web_root);
//   router.SetFallback({...}, [&site](const HttpRequest& r) { return site.Serve(r); });
//
// Paths whose last segment has a file extension (one with a letter: a DICOM
// UID's dots do not count) are files under the root: 200 with the type
// by extension, or 404. Files under /assets/ are Vite's content-hashed
// bundles and are cached for a year (immutable); everything else is
// revalidated (no-cache). Other paths are the app's own
// routes (/, /studies, /viewer/{StudyInstanceUID}) and answer index.html.
// Paths under the server's API prefixes (/api, /dicomweb, /wado, /healthz)
// are never the app's: 404. When the root has no index.html the viewer was
// not built: 503 with a page saying so.
//
// Paths are decoded and checked with DecodePathSegments (no "." or ".."
// segments, no encoded slash), and the file must resolve (symlinks too)
// inside the root. Files are read whole per request (the bundle is small).
// Thread-safe: Serve only reads the filesystem.
#pragma once

#include <filesystem>
#include <string_view>

#include "protocols/http/http_types.h"

namespace systole::http {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);

  HttpResponse Serve(const HttpRequest& request) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// "text/html; charset=utf-8" for "index.html", "application/octet-stream" when unknown.
std::string_view ContentTypeFor(std::string_view file_name);

}  // namespace systole::http
