// The reporting part of Systole's JSON API (a fixed contract other branches
// and the report editor code against; see README "Reporting API"):
//
//   GET  /api/templates                          {"templates":[{"id","title"}]}
//   GET  /api/templates/{id}                     the template definition
//   POST /api/studies/{StudyInstanceUID}/reports {"template":"tte"} → 201 report
//   GET  /api/studies/{StudyInstanceUID}/reports {"reports":[summary…]}
//   GET  /api/reports/{id}                       the report (fields, text, signature, addenda, history)
//   PUT  /api/reports/{id}/fields/{field_id}     {"value":"…"} | {"value":null} | {"accept":true}
//   PUT  /api/reports/{id}/text                  {"findings","impression"}
//   POST /api/reports/{id}/status                {"status":"draft"|"preliminary"|"final"}
//   POST /api/reports/{id}/addenda               {"text":"…"}, signed by the caller
//   GET  /api/reports/{id}/versions[/{n}]        every signed version (ReportDocument JSON)
//
// Errors ({"error": "<why>", "status": n}): 400 bad JSON or field, 403 signing
// without the signing role, 404 unknown study/report/template/version, 409
// editing a final report.
#pragma once

#include "protocols/http/router.h"
#include "services/reporting/report_service.h"

namespace systole::api {

void AddReportRoutes(http::Router& router, services::ReportService& reports);

}  // namespace systole::api
