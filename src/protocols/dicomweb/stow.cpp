// STOW-RS: multipart/related application/dicom through the ingest pipeline.
#include <fstream>

#include "base/log.h"
#include "dicom/instance_reader.h"
#include "protocols/dicomweb/internal.h"

namespace systole::dicomweb {
namespace {

constexpr int kFailureOutOfResources = 0xA700;
constexpr int kFailureDoesNotMatch = 0xA900;
constexpr int kFailureCannotUnderstand = 0xC000;

int FailureReason(const services::IngestOutcome& outcome) {
  if (outcome.error->code == ErrorCode::kUnavailable) return kFailureOutOfResources;
  return outcome.unreadable ? kFailureCannotUnderstand : kFailureDoesNotMatch;
}

nlohmann::json SopItem(const std::string& sop_class, const std::string& sop_instance) {
  nlohmann::json item = nlohmann::json::object();
  if (!sop_class.empty()) item["00081150"] = JsonValue("UI", sop_class);
  if (!sop_instance.empty()) item["00081155"] = JsonValue("UI", sop_instance);
  return item;
}

// A requester whose scope stores only into its studies (AI services) stores SR
// objects only: the staged part's SOP Class, read before ingest.
bool IsStructuredReport(const std::filesystem::path& staged) {
  auto parsed = dicom::ReadInstanceFile(staged);
  return parsed && std::string_view(parsed->values[static_cast<std::size_t>(domain::Attribute::SOPClassUID)])
                       .starts_with("1.2.840.10008.5.1.4.1.1.88.");
}

}  // namespace

http::HttpResponse Store(const http::HttpRequest& request, services::IngestService& ingest) {
  std::string content_type = request.Header("content-type");
  for (auto& c : content_type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!content_type.starts_with("multipart/related"))
    return http::HttpResponse::Error(415, "STOW-RS takes multipart/related; type=\"application/dicom\"");
  const std::string type = MediaTypeParameter(content_type, "type");
  if (!type.empty() && type != "application/dicom")
    return http::HttpResponse::Error(415, "only type=\"application/dicom\" parts are stored (not '" + type + "')");
  // The boundary is case-sensitive: read it from the header as sent.
  auto parts = SplitMultipart(request.body, MediaTypeParameter(request.Header("content-type"), "boundary"));
  if (!parts) return ErrorResponse(parts.error());
  if (parts->empty()) return http::HttpResponse::Error(400, "multipart body has no parts");

  const auto scope = request.path_params.find("study");
  const std::string expected_study = scope == request.path_params.end() ? std::string() : scope->second;
  const std::string base = BaseUrl(request);
  nlohmann::json referenced = nlohmann::json::array();
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& part : *parts) {
    std::string part_type = part.content_type;
    for (auto& c : part_type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!part_type.empty() && !part_type.starts_with("application/dicom")) {
      nlohmann::json item = nlohmann::json::object();
      item["00081197"] = JsonValue("US", std::to_string(kFailureCannotUnderstand));
      failed.push_back(item);
      continue;
    }
    auto staged = ingest.Stage();
    if (!staged) {
      nlohmann::json item = nlohmann::json::object();
      item["00081197"] = JsonValue("US", std::to_string(kFailureOutOfResources));
      failed.push_back(item);
      continue;
    }
    {
      std::ofstream out(*staged, std::ios::binary | std::ios::trunc);
      out.write(part.body.data(), static_cast<std::streamsize>(part.body.size()));
    }
    if (request.scope.store_in_scope_only && !IsStructuredReport(*staged)) {
      LOG_WARN("dicomweb", "STOW-RS part from {} ({}) refused: only SR objects may be stored", request.remote,
               request.user);
      ingest.Discard(*staged);
      nlohmann::json item = nlohmann::json::object();
      item["00081197"] = JsonValue("US", std::to_string(kFailureDoesNotMatch));
      failed.push_back(item);
      continue;
    }
    auto outcome = ingest.IngestStaged(*staged, "stow:" + request.remote, {}, expected_study);
    if (!outcome.ok()) {
      LOG_WARN("dicomweb", "STOW-RS part from {} refused: {}", request.remote, outcome.error->message);
      nlohmann::json item = SopItem(outcome.sop_class_uid, outcome.sop_instance_uid);
      item["00081197"] = JsonValue("US", std::to_string(FailureReason(outcome)));
      failed.push_back(item);
      continue;
    }
    nlohmann::json item = SopItem(outcome.sop_class_uid, outcome.sop_instance_uid);
    item["00081190"] = JsonValue("UR", base + "/studies/" + outcome.study_instance_uid + "/series/" +
                                           outcome.series_instance_uid + "/instances/" + outcome.sop_instance_uid);
    referenced.push_back(item);
  }
  nlohmann::json body = nlohmann::json::object();
  if (!referenced.empty()) body["00081199"] = {{"vr", "SQ"}, {"Value", referenced}};
  if (!failed.empty()) body["00081198"] = {{"vr", "SQ"}, {"Value", failed}};
  const int status = failed.empty() ? 200 : (referenced.empty() ? 409 : 202);
  return http::HttpResponse::Json(status, body.dump(), "application/dicom+json");
}

}  // namespace systole::dicomweb
