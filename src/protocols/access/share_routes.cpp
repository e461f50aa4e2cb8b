// Share links: create, list, revoke (signed-in readers), and the link itself
// (/share/{token}, open: a PIN page if needed, then a share session and the viewer).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "protocols/access/access.h"

namespace systole::access {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

json ShareJson(const domain::Share& s) {
  return {{"id", s.id},           {"study", s.study},           {"recipient", s.recipient},
          {"report", s.report},   {"download", s.download},     {"pin", !s.pin_hash.empty()},
          {"created_by", s.created_by}, {"created_at", s.created_at}, {"expires_at", s.expires_at},
          {"revoked_at", s.revoked_at}, {"failed_pins", s.failed_pins}};
}

HttpResponse Unavailable(const Error& error) {
  LOG_ERROR("share", "share links unavailable: {}", error.message);
  return HttpResponse::Error(503, "share links are unavailable");
}

HttpResponse Create(const HttpRequest& r, scope::ShareService& shares) {
  auto body = json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body["study"].is_string() || !body["recipient"].is_string())
    return HttpResponse::Error(400, "expected {\"study\", \"recipient\", \"expires_in_hours\", \"pin\", \"report\", "
                                    "\"download\"}");
  scope::NewShare request;
  request.study = body["study"].get<std::string>();
  // Only a study the creator may see can be shared; others do not exist for them.
  if (!r.scope.Allows(request.study)) return HttpResponse::Error(404, "no such study");
  request.recipient = body["recipient"].get<std::string>();
  for (auto [key, flag] : {std::pair{"report", &request.report}, std::pair{"download", &request.download}}) {
    if (body.contains(key) && !body[key].is_boolean())
      return HttpResponse::Error(400, fmt::format("{}: expected true or false", key));
    *flag = body.value(key, false);
  }
  if (body.contains("pin") && !body["pin"].is_string()) return HttpResponse::Error(400, "pin: expected a string");
  request.pin = body.value("pin", "");
  if (body.contains("expires_in_hours")) {
    if (!body["expires_in_hours"].is_number()) return HttpResponse::Error(400, "expires_in_hours: expected a number");
    request.expires_in_hours = body["expires_in_hours"].get<double>();
  }
  request.created_by = r.user;
  auto created = shares.Create(request);
  if (!created) {
    if (created.error().code == ErrorCode::kInvalidArgument) return HttpResponse::Error(400, created.error().message);
    if (created.error().code == ErrorCode::kNotFound) return HttpResponse::Error(404, "no such study");
    return Unavailable(created.error());
  }
  LOG_INFO("share", "{} shared study {} with {} (share {}, download {}, report {})", r.user, request.study,
           request.recipient, created->share.id, request.download, request.report);
  json answer = ShareJson(created->share);
  answer["url"] = "/share/" + created->token;
  return HttpResponse::Json(201, answer.dump()).With("Cache-Control", "no-store");
}

HttpResponse List(const HttpRequest& r, scope::ShareService& shares) {
  auto list = shares.List(r.Param("study").value_or(""));
  if (!list) return Unavailable(list.error());
  json items = json::array();
  for (const auto& s : *list)
    if (r.scope.Allows(s.study)) items.push_back(ShareJson(s));
  return HttpResponse::Json(200, json{{"shares", items}}.dump());
}

HttpResponse Revoke(const HttpRequest& r, scope::ShareService& shares) {
  auto revoked = shares.Revoke(r.PathParam("id"));
  if (!revoked) {
    if (revoked.error().code == ErrorCode::kNotFound) return HttpResponse::Error(404, "no such share");
    return Unavailable(revoked.error());
  }
  LOG_INFO("share", "{} revoked share {} (study {})", r.user, revoked->id, revoked->study);
  return HttpResponse::Json(200, ShareJson(*revoked).dump());
}

HttpResponse Page(int status, const std::string& title, const std::string& content) {
  HttpResponse page;
  page.status = status;
  page.body = fmt::format(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>{0}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;"
      "margin:4rem auto;padding:0 1rem}}input,button{{font-size:1rem;padding:.4rem}}</style></head><body><h1>{0}</h1>"
      "{1}</body></html>",
      title, content);
  return page.With("Content-Type", "text/html; charset=utf-8").With("Cache-Control", "no-store")
      .With("Referrer-Policy", "no-referrer");
}

HttpResponse GonePage() {
  return Page(410, "This link has expired or was revoked",
              "<p>This link has expired or was revoked. Ask the sender for a new one.</p>");
}

HttpResponse PinPage(int status, const std::string& message) {
  return Page(status, "This shared study is protected by a PIN",
              fmt::format("<p>{}</p><form method=\"post\"><label>PIN <input name=\"pin\" type=\"password\" "
                          "autocomplete=\"off\" autofocus required></label> <button>Open</button></form>",
                          message));
}

// The PIN of a form post (pin=…) or a JSON body {"pin": …}.
std::string PostedPin(const HttpRequest& r) {
  if (auto body = json::parse(r.body, nullptr, false); body.is_object()) return body.value("pin", "");
  std::string_view text = r.body;
  while (!text.empty()) {
    auto end = text.find('&');
    auto pair = text.substr(0, end);
    if (pair.starts_with("pin=")) return http::PercentDecode(pair.substr(4), true);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return "";
}

HttpResponse OpenLink(const HttpRequest& r, scope::ShareService& shares, bool posted) {
  const std::string& token = r.PathParam("token");
  auto access = shares.Open(token, posted ? PostedPin(r) : "", r.remote);
  if (!access) return Unavailable(access.error());
  switch (access->state) {
    case scope::ShareState::kGone:
      LOG_INFO("share", "share link from {} refused: expired, revoked, exhausted or unknown", r.remote);
      return GonePage();
    case scope::ShareState::kNeedsPin:
      return PinPage(posted ? 401 : 200, posted ? "Enter the PIN you were given." : "Enter the PIN you were given "
                                                                                    "with this link.");
    case scope::ShareState::kWrongPin:
      LOG_INFO("share", "wrong PIN for share {} from {} ({} attempts left)", access->share.id, r.remote,
               access->attempts_left);
      return PinPage(401, fmt::format("Wrong PIN. {} attempt{} left.", access->attempts_left,
                                      access->attempts_left == 1 ? "" : "s"));
    case scope::ShareState::kOpen:
      break;
  }
  LOG_INFO("share", "share {} opened from {}", access->share.id, r.remote);
  const std::string cookie = fmt::format("{}={}; Path=/; HttpOnly; SameSite=Lax{}", kShareCookie, access->session_token,
                                         r.secure ? "; Secure" : "");
  HttpResponse redirect = Page(303, "Opening the shared study", "<p>Opening the viewer…</p>");
  return redirect.With("Location", "/viewer/" + access->share.study).With("Set-Cookie", cookie);
}

}  // namespace

void AddShareRoutes(http::Router& router, scope::ShareService& shares) {
  router.Add({"POST", "/api/shares", "Share a study by link",
              "Body {\"study\", \"recipient\", \"expires_in_hours\" (default 72, at most security.share_max_hours), "
              "\"pin\" (optional, ≥ 4 characters; stored hashed), \"report\" (the final report too), \"download\" "
              "(Part 10 retrieval allowed)}. 201 {id, url: \"/share/{token}\", …}: the token is shown once, only its "
              "SHA-256 is stored. 404 a study outside your scope, 400 a bad member."},
             [&shares](const HttpRequest& r) { return Create(r, shares); });
  router.Add({"GET", "/api/shares", "Share links",
              "Query study (optional). {\"shares\": [{id, study, recipient, report, download, pin, created_by, "
              "created_at, expires_at, revoked_at, failed_pins}]} (times unix ms), newest first."},
             [&shares](const HttpRequest& r) { return List(r, shares); });
  router.Add({"DELETE", "/api/shares/{id}", "Revoke a share link",
              "The link and every session opened with it stop working at once (410). 404 unknown id."},
             [&shares](const HttpRequest& r) { return Revoke(r, shares); });
  router.Add({"GET", "/share/{token}", "Open a share link",
              "No sign-in. A PIN page when the link has a PIN; otherwise a share session (cookie systole_share, "
              "scoped to the one study) and 303 to /viewer/{study}. 410 page when the link expired, was revoked or "
              "ran out of PIN attempts.",
              true},
             [&shares](const HttpRequest& r) { return OpenLink(r, shares, false); });
  router.Add({"POST", "/share/{token}", "Open a share link with its PIN",
              "Form pin=… (or JSON {\"pin\"}). Right: as GET without PIN. Wrong: 401 page with the attempts left "
              "(security.share_pin_attempts); at the limit the link is gone (410).",
              true},
             [&shares](const HttpRequest& r) { return OpenLink(r, shares, true); });
}

}  // namespace systole::access
