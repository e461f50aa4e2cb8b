#include "protocols/api/delivery_routes.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "base/log.h"

namespace systole::api {
namespace {

using nlohmann::json;

json JobJson(const ports::DeliveryJob& job) {
  json attempts = json::array();
  for (const auto& a : job.attempts)
    attempts.push_back({{"at", a.at}, {"outcome", a.outcome}, {"ackCode", a.ack_code}, {"detail", a.detail}});
  return {{"id", job.id},
          {"reportId", job.report_id},
          {"version", job.version},
          {"destination", job.destination},
          {"state", job.state},
          {"createdAt", job.created_at},
          {"nextAttemptAt", job.state == ports::kDeliveryPending ? json(job.next_attempt_at) : json(nullptr)},
          {"attempts", attempts}};
}

http::HttpResponse ErrorResponse(const Error& error) {
  switch (error.code) {
    case ErrorCode::kNotFound: return http::HttpResponse::Error(404, error.message);
    case ErrorCode::kInvalidArgument: return http::HttpResponse::Error(409, error.message);
    case ErrorCode::kUnavailable: return http::HttpResponse::Error(503, error.message);
    default: return http::HttpResponse::Error(500, error.message);
  }
}

}  // namespace

void AddDeliveryRoutes(http::Router& router, const DeliveryRouteServices& s) {
  router.Add({"GET", "/api/deliveries", "Report deliveries and their attempts",
              "Query state = pending, in_flight, delivered or failed (default: every job). Answers {\"deliveries\": "
              "[...]}, newest first: id, reportId, version, destination (\"archive\" or an HL7 destination), state, "
              "createdAt, nextAttemptAt (pending only) and every attempt {at, outcome, ackCode, detail}. 400 for an "
              "unknown state."},
             [&delivery = s.delivery](const http::HttpRequest& request) {
               const std::string state = request.Param("state").value_or("");
               if (!state.empty() && state != ports::kDeliveryPending && state != ports::kDeliveryInFlight &&
                   state != ports::kDeliveryDelivered && state != ports::kDeliveryFailed)
                 return http::HttpResponse::Error(400, "state must be pending, in_flight, delivered or failed");
               auto jobs = delivery.Jobs(state);
               if (!jobs) return ErrorResponse(jobs.error());
               json list = json::array();
               for (const auto& job : *jobs) list.push_back(JobJson(job));
               return http::HttpResponse::Json(200, json{{"deliveries", list}}.dump());
             });
  router.Add({"POST", "/api/deliveries/{id}/resend", "Send a failed delivery again",
              "Moves the failed job {id} back to pending, due now (its attempts are kept), and answers the job. 404 "
              "for an unknown job, 409 when the job is not failed, 400 for an id that is not a number."},
             [&delivery = s.delivery](const http::HttpRequest& request) {
               const std::string& text = request.PathParam("id");
               std::int64_t id = 0;
               auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
               if (ec != std::errc() || end != text.data() + text.size())
                 return http::HttpResponse::Error(400, "delivery id must be a number");
               if (auto resent = delivery.Resend(id); !resent) return ErrorResponse(resent.error());
               LOG_INFO("api", "delivery {} resent by {}", id, request.user.empty() ? "anonymous" : request.user);
               auto job = delivery.Job(id);
               if (!job) return ErrorResponse(job.error());
               return http::HttpResponse::Json(200, JobJson(*job).dump());
             });
  router.Add({"GET", "/api/reports/{id}/pdf", "The PDF of a report's latest signed version",
              "Renders the latest signed version (final or last addendum) of report {id} as application/pdf. 404 "
              "when the report has no signed version."},
             [reports = s.reports, pdf_options = s.pdf](const http::HttpRequest& request) {
               const std::string& id = request.PathParam("id");
               if (!reports) return http::HttpResponse::Error(404, "no signed report " + id);
               ports::ReportFilter filter;
               filter.report_id = id;
               auto signed_reports = reports->SignedReports(filter);
               if (!signed_reports) return ErrorResponse(signed_reports.error());
               if (signed_reports->empty()) return http::HttpResponse::Error(404, "no signed report " + id);
               auto pdf = services::RenderReportPdf(signed_reports->front(), pdf_options);
               if (!pdf) {
                 LOG_ERROR("api", "PDF of report {}: {}", id, pdf.error().message);
                 return ErrorResponse(pdf.error());
               }
               http::HttpResponse response;
               response.body = std::move(*pdf);
               response.With("Content-Type", "application/pdf");
               response.With("Content-Disposition", "inline; filename=\"report-" + id + ".pdf\"");
               return response;
             });
}

}  // namespace systole::api
