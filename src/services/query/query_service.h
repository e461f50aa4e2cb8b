// QueryService: the one query model behind C-FIND, QIDO-RS and retrieves.
//
// Find() answers a domain::Query (bounded by max_results so a careless
// "everything" query cannot exhaust memory); Retrieve() resolves a query to the
// stored instances to send and a local path to read each from. With a
// PatientCorrections port, instances of studies whose patient the index has
// corrected since they were stored (ADT update, merge, admin correction) carry
// the current patient module: senders serve it instead of the stored header
// (IHE PIR); the stored file is never changed. Thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "domain/scope.h"
#include "ports/blob_store.h"
#include "ports/reconciliation.h"
#include "ports/study_index.h"

namespace systole::services {

struct RetrievableInstance {
  domain::StoredInstance instance;
  std::filesystem::path path;  // where to read the Part 10 file
  // Set when the stored header's patient module is out of date: send this one instead.
  std::optional<domain::Patient> corrected_patient;
};

class QueryService {
 public:
  QueryService(ports::StudyQuery& index, ports::BlobStore& blobs, std::size_t max_results,
               ports::PatientCorrections* corrections = nullptr);

  // Rows matching `query`; at most max_results (0 = unbounded) even if the
  // query asks for more. kInvalidArgument for conditions below the level.
  // With a restricted `scope`, only rows of the studies it holds (the one
  // place where query results are filtered by who asks).
  Result<std::vector<domain::QueryRow>> Find(domain::Query query, const domain::StudyScope& scope = {});

  // Instances under everything `query` matches. An instance whose blob is
  // missing is reported in `missing` (and logged), not silently skipped.
  struct RetrieveSet {
    std::vector<RetrievableInstance> instances;
    std::vector<std::string> missing;  // SOP Instance UIDs indexed but unreadable
  };
  Result<RetrieveSet> Retrieve(const domain::Query& query);

 private:
  ports::StudyQuery& index_;
  ports::BlobStore& blobs_;
  std::size_t max_results_;
  ports::PatientCorrections* corrections_;
};

}  // namespace systole::services
