#include "protocols/api/api_errors.h"

namespace systole::api {

http::HttpResponse ErrorResponse(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return http::HttpResponse::Error(400, error.message);
    case ErrorCode::kNotFound:
      return http::HttpResponse::Error(404, error.message);
    case ErrorCode::kUnavailable:
      return http::HttpResponse::Error(503, error.message);
    default:
      return http::HttpResponse::Error(500, error.message);
  }
}

}  // namespace systole::api
