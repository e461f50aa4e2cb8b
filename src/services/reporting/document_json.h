// domain::ReportDocument ⇄ JSON: the stored form of a signed version, the
// body of GET /api/reports/{id}/versions/{n}, and — without signatures — the
// canonical content whose SHA-256 a signature records.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/report.h"

namespace systole::services {

nlohmann::json DocumentJson(const domain::ReportDocument& document);

// The pieces, shared with the working copy's serialisation and the API:
// a code as {code, scheme, meaning} (null when empty), a signature object.
nlohmann::json CodeJson(const domain::Code& code);
nlohmann::json SignatureJson(const domain::ReportSignature& signature);
domain::ReportSignature ParseSignature(const nlohmann::json& object);  // empty when not an object
nlohmann::json AddendaJson(const std::vector<domain::ReportAddendum>& addenda);  // [{text, signature}]
Result<domain::ReportDocument> ParseDocument(const std::string& text);

// The canonical serialisation of what is signed: the document as JSON with
// sorted keys and no insignificant whitespace, every signature removed
// (the signed content, not who signed it). Same content → same bytes.
std::string CanonicalContent(const domain::ReportDocument& document);

// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(const std::string& bytes);

}  // namespace systole::services
