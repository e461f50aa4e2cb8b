// The HTTP answer for a service error, shared by the /api handlers.
#pragma once

#include "base/result.h"
#include "protocols/http/http_types.h"

namespace systole::api {

// kInvalidArgument → 400, kNotFound → 404, kUnavailable → 503, else 500.
http::HttpResponse ErrorResponse(const Error& error);

}  // namespace systole::api
