// The index ports: what Systole knows about stored instances, split by concern.
//
//   InstanceIndex — writes one instance record (the ingest side);
//   StudyQuery    — answers a domain::Query (C-FIND, QIDO-RS) and locates the
//                   stored instances a retrieve must send (C-GET, C-MOVE, WADO).
//
// SQLite (embedded) and PostgreSQL adapters implement both; an in-memory fake
// exists for unit tests. All implementations are thread-safe and pass the same
// contract tests (src/adapters/index_contract_test.h).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/instance.h"
#include "domain/query.h"

namespace systole::ports {

enum class AddOutcome {
  kAdded,      // a new instance
  kDuplicate,  // an instance with this SOP Instance UID exists; nothing changed
  kReplaced,   // an instance with this SOP Instance UID existed and was replaced
};

struct AddResult {
  AddOutcome outcome;
  std::optional<domain::BlobRef> previous_blob;  // the blob of the existing record (kDuplicate, kReplaced)
};

class InstanceIndex {
 public:
  virtual ~InstanceIndex() = default;

  // Records one instance and its patient/study/series in one transaction,
  // durable when it returns. If the SOP Instance UID exists: with replace =
  // false returns kDuplicate and changes nothing; with replace = true replaces
  // the record and returns kReplaced.
  // Fails with kInvalidArgument (nothing written) when the record contradicts
  // the index: its study belongs to another patient, or its series to another
  // study. kUnavailable on storage errors.
  virtual Result<AddResult> AddInstance(const domain::InstanceRecord& record, bool replace) = 0;

  // Every stored instance (for verification), in no particular order.
  virtual Status ForEachInstance(const std::function<void(const domain::StoredInstance&)>& visit) = 0;
};

class StudyQuery {
 public:
  virtual ~StudyQuery() = default;

  // Matches `query` at its level. Rows are ordered for stable paging
  // (studies newest first by StudyDate/StudyTime; series by SeriesNumber;
  // instances by InstanceNumber). kInvalidArgument if a condition names an
  // attribute below the query level.
  virtual Result<std::vector<domain::QueryRow>> Find(const domain::Query& query) = 0;

  // The stored instances under every entity `query` matches (at any level),
  // ordered by series then instance number. Used by retrieves.
  virtual Result<std::vector<domain::StoredInstance>> Locate(const domain::Query& query) = 0;
};

}  // namespace systole::ports
