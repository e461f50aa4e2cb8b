// Pieces shared by the DICOMweb handlers.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "base/result.h"
#include "domain/query.h"
#include "protocols/http/http_types.h"
#include "protocols/dicomweb/dicomweb.h"

namespace systole::dicomweb {

// "http://host:port/dicomweb" as the client addressed us.
std::string BaseUrl(const http::HttpRequest& request);

// The HTTP status for a service error.
http::HttpResponse ErrorResponse(const Error& error);

// DICOM JSON value object {"vr": ..., "Value": [...]} for a backslash-separated text value.
nlohmann::json JsonValue(const std::string& vr, const std::string& value);

// Multipart/related helpers.
std::string NewBoundary();
struct Part {
  std::string content_type;
  std::string_view body;
};
// Splits a multipart body; kInvalidArgument names what is malformed.
Result<std::vector<Part>> SplitMultipart(std::string_view body, const std::string& boundary);
// The value of a parameter (e.g. boundary, type) of a Content-Type/Accept header; "" if absent.
std::string MediaTypeParameter(std::string_view header, std::string_view name);

// One media range of an Accept header, in the header's order. For multipart/related (and
// multipart/*) `type` is the value of its `type` parameter ("" when absent); `multipart` says so.
struct MediaRange {
  std::string type;
  std::string transfer_syntax;  // the transfer-syntax parameter, "" when absent
  bool multipart = false;
};
std::vector<MediaRange> AcceptedRanges(const std::string& accept);

// A WADO-RS frame list ("1,2,5"): 1-based numbers in the order given; kInvalidArgument names the fault.
inline constexpr std::size_t kMaxFrameList = 4096;
Result<std::vector<std::uint32_t>> ParseFrameList(const std::string& list);

// True when the Accept header allows a DICOM JSON answer (absent, */*, application/json,
// application/dicom+json, application/*).
bool AcceptsJson(const std::string& accept);

// Handlers.
http::HttpResponse Search(const http::HttpRequest& request, services::QueryService& query, domain::Level level);
http::HttpResponse Retrieve(const http::HttpRequest& request, services::QueryService& query);
http::HttpResponse RetrieveMetadata(const http::HttpRequest& request, const Services& services);
http::HttpResponse RetrieveFrames(const http::HttpRequest& request, const Services& services);
http::HttpResponse RetrieveBulk(const http::HttpRequest& request, const Services& services);
http::HttpResponse RetrieveRendered(const http::HttpRequest& request, const Services& services, bool thumbnail);
http::HttpResponse WadoUri(const http::HttpRequest& request, const Services& services);
http::HttpResponse Store(const http::HttpRequest& request, services::IngestService& ingest);

// Streams a file's bytes to the writer; false if the client went away or the file failed.
bool StreamFileTo(const std::filesystem::path& path, http::BodyWriter& writer);

// The query selecting the instances named by the request's path parameters
// (study, series, instance — whichever are present).
domain::Query PathQuery(const http::HttpRequest& request);

}  // namespace systole::dicomweb
