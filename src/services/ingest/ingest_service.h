// IngestService: the one path by which instances enter Systole (C-STORE,
// STOW-RS, import).
//
//   validate (parseable, identifiable, consistent) → store the blob durably →
//   index it in one transaction → (SR objects) record their measurements →
//   only then report success.
//
// Receivers stream into a staged file (Stage()), then call IngestStaged().
// Import calls IngestFile(). Every outcome names its reason; a refused or
// failed ingest leaves nothing behind. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/identity.h"
#include "ports/blob_store.h"
#include "ports/measurement_store.h"
#include "ports/study_index.h"

namespace systole::services {

enum class DuplicatePolicy {
  kKeepFirst,  // keep the stored instance, report the new one as a duplicate (success)
  kReplace,    // store the new one in place of the old
  kRefuse,     // refuse the new one (failure)
};

// Parses "keep-first", "replace", "refuse".
std::optional<DuplicatePolicy> ParseDuplicatePolicy(std::string_view text);

struct IngestPolicy {
  DuplicatePolicy duplicates = DuplicatePolicy::kKeepFirst;
  std::uint64_t min_free_bytes = 256ull << 20;  // refuse new data when less space than this is left
};

struct IngestOutcome {
  enum class Kind { kStored, kDuplicate, kReplaced, kRefused };
  Kind kind = Kind::kRefused;
  std::string sop_instance_uid;        // when it could be read
  std::string sop_class_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  domain::Patient patient;             // the patient module as the header carries it (not the index's)
  std::string accession_number;        // the header's AccessionNumber
  std::optional<Error> error;          // kRefused: why (kInvalidArgument: the data; kUnavailable: our resources)
  bool unreadable = false;             // kRefused because the bytes are not readable DICOM at all
  std::vector<std::string> warnings;   // accepted, but not quite conformant

  bool ok() const { return kind != Kind::kRefused; }
};

const char* OutcomeName(IngestOutcome::Kind kind);  // "stored", "duplicate", "replaced", "refused"

class IngestService {
 public:
  // With `measurements`, the numeric measurements of every SR stored are
  // extracted and saved there (replaced when the SR is replaced). An SR whose
  // content cannot be read is still stored; the problem is logged.
  IngestService(ports::InstanceIndex& index, ports::BlobStore& blobs, const Clock& clock, IngestPolicy policy,
                ports::MeasurementStore* measurements = nullptr);

  // kUnavailable when the store has less than min_free_bytes left (answer with
  // an out-of-resources status before receiving anything).
  Status CheckCapacity();

  // A new staged file for a receiver to write into, and the early-writeback hint.
  Result<std::filesystem::path> Stage() { return blobs_.Stage(); }
  void StartWriteback(const std::filesystem::path& staged, std::uint64_t offset, std::uint64_t length) {
    blobs_.StartWriteback(staged, offset, length);
  }
  void Discard(const std::filesystem::path& staged) { blobs_.Discard(staged); }

  // Ingests a completely written staged file; the staged file is consumed
  // (committed or removed) whatever the outcome. `source` is recorded, e.g.
  // "dimse:CART1@127.0.0.1". When `expected_sop_instance_uid` is given (the
  // C-STORE request's Affected SOP Instance UID), a dataset naming another
  // instance is refused; so is one of another study than `expected_study_instance_uid`
  // (STOW-RS to a study's URL).
  IngestOutcome IngestStaged(const std::filesystem::path& staged, std::string_view source,
                             std::string_view expected_sop_instance_uid = {},
                             std::string_view expected_study_instance_uid = {});

  // Ingests a file from disk (copied, never moved). A bare dataset without
  // meta header is stored wrapped in a new meta header, its bytes unchanged.
  IngestOutcome IngestFile(const std::filesystem::path& file, std::string_view source);

  // Called after an instance is durably stored and indexed (stored or replaced), with the
  // stored file's path, on the ingesting thread: derived data (frame tables, caches) is
  // prepared while the file is still in the page cache. Set once, before ingest starts.
  using StoredListener = std::function<void(const IngestOutcome&, const std::filesystem::path&)>;
  void OnStored(StoredListener listener) { on_stored_ = std::move(listener); }

 private:
  ports::InstanceIndex& index_;
  ports::BlobStore& blobs_;
  const Clock& clock_;
  IngestPolicy policy_;
  StoredListener on_stored_;
  ports::MeasurementStore* measurements_;
};

}  // namespace systole::services
