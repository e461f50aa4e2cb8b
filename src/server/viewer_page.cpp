#include "server/viewer_page.h"

#include <algorithm>
#include <string_view>

namespace systole::server {
namespace {

constexpr std::string_view kMarker = "<!--systole:boot-poster-->";
constexpr std::string_view kViewerPrefix = "/viewer/";

// A DICOM UID (PS3.5 9.1): digits and dots, 64 characters at most, no empty component.
bool IsUid(std::string_view text) {
  if (text.empty() || text.size() > 64 || text.front() == '.' || text.back() == '.') return false;
  if (text.find("..") != std::string_view::npos) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

bool IsHtml(const http::HttpResponse& response) {
  return std::any_of(response.headers.begin(), response.headers.end(), [](const auto& header) {
    return header.first == "Content-Type" && header.second.starts_with("text/html");
  });
}

}  // namespace

void AddBootPoster(const http::HttpRequest& request, http::HttpResponse& response) {
  if (response.status != 200 || !IsHtml(response)) return;
  std::string_view path = request.path;
  if (!path.starts_with(kViewerPrefix)) return;
  const std::string_view uid = path.substr(kViewerPrefix.size());
  if (!IsUid(uid) || request.Param("format").value_or("") == "png") return;
  const auto at = response.body.find(kMarker);
  if (at == std::string::npos) return;
  const std::string poster =
      "<img id=\"boot-poster\" class=\"boot-poster\" elementtiming=\"boot-poster\" alt=\"\" src=\"/dicomweb/studies/" +
      std::string(uid) + "/thumbnail?viewport=4096,4096\">";
  response.body.replace(at, kMarker.size(), poster);
}

}  // namespace systole::server
