// ReportStore: durable storage of reports — the working copy of each report
// (draft, preliminary, or the state after its last signature) and every
// signed version, immutable once written.
//
// The working copy's body is opaque to the store (the reporting service owns
// its format); the store indexes the columns needed to find reports. A signed
// version is written together with the working copy in one transaction, so a
// signature is either wholly durable or absent. Every implementation is
// thread-safe and passes src/adapters/report_store_contract_test.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "ports/report_catalog.h"

namespace systole::ports {

struct ReportRow {
  std::string id;
  std::string study_instance_uid;
  std::string template_id;
  std::string status;      // domain::kReport*
  std::int64_t revision = 0;  // incremented by every successful write; 0 before the first
  std::string body;        // the working copy, serialised by the reporting service
  std::string updated_at;  // ISO 8601 UTC
};

struct SignedVersion {
  std::string report_id;
  int version = 0;          // 1, 2, … per report
  std::string status;       // kReportFinal or kReportAddendum
  std::string signer;
  std::string signed_at;    // ISO 8601 UTC
  std::string content_sha256;
  // Filter columns (ReportFilter), copied from the document.
  std::string patient_id;
  std::string patient_issuer;
  std::string study_instance_uid;
  std::string accession_number;
  std::string document;     // the signed domain::ReportDocument, serialised by the reporting service
};

class ReportStore {
 public:
  virtual ~ReportStore() = default;

  // Inserts a new report (row.revision is ignored; the stored row has revision 1).
  // kAlreadyExists when the id is taken; kUnavailable on storage errors.
  virtual Status CreateReport(const ReportRow& row) = 0;

  // The working copy. kNotFound for an unknown id.
  virtual Result<ReportRow> GetReport(const std::string& id) = 0;

  // Every report of a study, oldest first (empty when none).
  virtual Result<std::vector<ReportRow>> StudyReports(const std::string& study_instance_uid) = 0;

  // Replaces the working copy if its stored revision is still row.revision
  // (optimistic concurrency), bumping the revision. When `signed_version` is
  // non-null it is inserted in the same transaction. kNotFound for an unknown
  // id; kAlreadyExists when the revision moved on or the version number is
  // taken (nothing written).
  virtual Status UpdateReport(const ReportRow& row, const SignedVersion* signed_version) = 0;

  // Every signed version of a report, by version number (empty when none).
  virtual Result<std::vector<SignedVersion>> Versions(const std::string& report_id) = 0;

  // The highest signed version of every report matching `filter` (all
  // non-empty members must match exactly), newest signed_at first.
  virtual Result<std::vector<SignedVersion>> LatestSigned(const ReportFilter& filter) = 0;
};

}  // namespace systole::ports
