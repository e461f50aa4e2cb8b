// C-FIND / C-GET / C-MOVE identifiers ↔ the domain query model.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>

#include <vector>

#include "base/result.h"
#include "domain/query.h"

namespace systole::protocols::dimse {

struct ParsedIdentifier {
  domain::Query query;
  std::vector<DcmTagKey> return_keys;  // top-level keys of the request, in order
};

// Reads QueryRetrieveLevel and the matching keys (text converted to UTF-8).
// `patient_root` = the Patient Root model (else Study Root: no PATIENT level).
// Keys below the level are returned empty, never matched; keys Systole does not
// index are returned empty and treated as universal. kInvalidArgument names
// the fault (missing level, malformed value).
Result<ParsedIdentifier> ParseIdentifier(DcmDataset& identifier, bool patient_root);

// A C-FIND response for one row: every requested key, with the indexed value
// or empty; SpecificCharacterSet ISO_IR 192. Caller owns the result.
DcmDataset* BuildFindResponse(const ParsedIdentifier& parsed, const domain::QueryRow& row, const std::string& our_ae);

}  // namespace systole::protocols::dimse
