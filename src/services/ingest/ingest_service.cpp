#include "services/ingest/ingest_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <system_error>

#include "base/log.h"
#include "dicom/instance_reader.h"
#include "dicom/sr_reader.h"

namespace systole::services {

using domain::Attribute;
namespace fs = std::filesystem;

namespace {

IngestOutcome Refused(Error error, std::string sop = {}) {
  IngestOutcome out;
  out.kind = IngestOutcome::Kind::kRefused;
  out.sop_instance_uid = std::move(sop);
  out.error = std::move(error);
  return out;
}

std::string IsoTime(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%FT%TZ}", std::chrono::floor<std::chrono::milliseconds>(t));
}

}  // namespace

std::optional<DuplicatePolicy> ParseDuplicatePolicy(std::string_view text) {
  if (text == "keep-first") return DuplicatePolicy::kKeepFirst;
  if (text == "replace") return DuplicatePolicy::kReplace;
  if (text == "refuse") return DuplicatePolicy::kRefuse;
  return std::nullopt;
}

const char* OutcomeName(IngestOutcome::Kind kind) {
  switch (kind) {
    case IngestOutcome::Kind::kStored: return "stored";
    case IngestOutcome::Kind::kDuplicate: return "duplicate";
    case IngestOutcome::Kind::kReplaced: return "replaced";
    case IngestOutcome::Kind::kRefused: return "refused";
  }
  return "?";
}

IngestService::IngestService(ports::InstanceIndex& index, ports::BlobStore& blobs, const Clock& clock,
                             IngestPolicy policy, ports::MeasurementStore* measurements)
    : index_(index), blobs_(blobs), clock_(clock), policy_(policy), measurements_(measurements) {}

Status IngestService::CheckCapacity() {
  auto available = blobs_.AvailableBytes();
  if (!available) return std::unexpected(available.error());
  if (*available < policy_.min_free_bytes)
    return Fail(ErrorCode::kUnavailable, fmt::format("storage full: {} MB free, at least {} MB required",
                                                     *available >> 20, policy_.min_free_bytes >> 20));
  return {};
}

IngestOutcome IngestService::IngestStaged(const fs::path& staged, std::string_view source,
                                          std::string_view expected_sop_instance_uid,
                                          std::string_view expected_study_instance_uid) {
  auto parsed = dicom::ReadInstanceFile(staged);
  if (!parsed) {
    blobs_.Discard(staged);
    auto refused = Refused(parsed.error());
    refused.unreadable = dicom::IsUnreadable(parsed.error());
    return refused;
  }
  if (!parsed->has_meta_header) {
    // Receivers always write a meta header; a bare dataset here came from a
    // caller that skipped IngestFile's wrapping.
    blobs_.Discard(staged);
    return Refused(Error{ErrorCode::kInvalidArgument, "no DICOM meta header"});
  }
  domain::InstanceRecord record;
  record.values = std::move(parsed->values);
  const std::string sop = record.Get(Attribute::SOPInstanceUID);
  if (!expected_sop_instance_uid.empty() && expected_sop_instance_uid != sop) {
    blobs_.Discard(staged);
    return Refused(Error{ErrorCode::kInvalidArgument,
                         fmt::format("inconsistent: request announced SOP Instance UID {} but the dataset has {}",
                                     expected_sop_instance_uid, sop)},
                   sop);
  }

  const std::string& study = record.Get(Attribute::StudyInstanceUID);
  if (!expected_study_instance_uid.empty() && expected_study_instance_uid != study) {
    blobs_.Discard(staged);
    auto refused = Refused(Error{ErrorCode::kInvalidArgument,
                                 fmt::format("inconsistent: instance of study {} sent to study {}", study,
                                             expected_study_instance_uid)},
                           sop);
    refused.sop_class_uid = record.Get(Attribute::SOPClassUID);
    return refused;
  }
  // SR content is read before the staged file is committed; a document that
  // cannot be read is stored all the same, without measurements.
  const bool is_sr = dicom::IsSrStorageClass(record.Get(Attribute::SOPClassUID));
  std::vector<domain::Measurement> measurements;
  if (measurements_ && is_sr) {
    if (auto document = dicom::ReadSrFile(staged)) {
      measurements = dicom::ExtractMeasurements(*document);
    } else {
      LOG_WARN("ingest", "SR {}: content not readable, stored without measurements: {}", sop,
               document.error().message);
    }
  }
  auto blob = blobs_.Commit(staged, sop);
  if (!blob) return Refused(blob.error(), sop);
  record.blob = *blob;
  record.received_at = IsoTime(clock_.Now());
  record.source = std::string(source);

  const bool replace = policy_.duplicates == DuplicatePolicy::kReplace;
  auto added = index_.AddInstance(record, replace);
  if (!added) {
    (void)blobs_.Remove(blob->key);
    return Refused(added.error(), sop);
  }
  // Beside the index write: the SR's measurements replace whatever its SOP
  // Instance UID had. Not one transaction with the index (another port); a
  // failure here is logged and does not refuse the stored instance.
  if (measurements_ && (added->outcome == ports::AddOutcome::kReplaced ||
                        (added->outcome == ports::AddOutcome::kAdded && is_sr))) {
    if (auto saved = measurements_->ReplaceMeasurements(sop, measurements); !saved)
      LOG_ERROR("ingest", "SR {}: measurements not saved: {}", sop, saved.error().message);
  }
  IngestOutcome out;
  out.sop_instance_uid = sop;
  out.sop_class_uid = record.Get(Attribute::SOPClassUID);
  out.study_instance_uid = study;
  out.series_instance_uid = record.Get(Attribute::SeriesInstanceUID);
  out.patient = {{record.Get(Attribute::PatientID), record.Get(Attribute::IssuerOfPatientID)},
                 record.Get(Attribute::PatientName), record.Get(Attribute::PatientBirthDate),
                 record.Get(Attribute::PatientSex)};
  out.accession_number = record.Get(Attribute::AccessionNumber);
  out.warnings = std::move(parsed->warnings);
  switch (added->outcome) {
    case ports::AddOutcome::kAdded:
      out.kind = IngestOutcome::Kind::kStored;
      break;
    case ports::AddOutcome::kReplaced:
      out.kind = IngestOutcome::Kind::kReplaced;
      if (added->previous_blob && added->previous_blob->key != blob->key) (void)blobs_.Remove(added->previous_blob->key);
      break;
    case ports::AddOutcome::kDuplicate: {
      const bool same = added->previous_blob && added->previous_blob->hash == blob->hash;
      // Identical content committed under the stored instance's own key: that
      // file is the stored instance, so it must stay.
      if (!added->previous_blob || added->previous_blob->key != blob->key) (void)blobs_.Remove(blob->key);
      if (policy_.duplicates == DuplicatePolicy::kRefuse)
        return Refused(Error{ErrorCode::kAlreadyExists, fmt::format("duplicate SOP Instance UID {} ({} content)", sop,
                                                                    same ? "same" : "different")},
                       sop);
      out.kind = IngestOutcome::Kind::kDuplicate;
      if (!same) out.warnings.push_back("duplicate with different content; the first stored instance was kept");
      break;
    }
  }
  if (on_stored_ && out.kind != IngestOutcome::Kind::kDuplicate) {
    if (auto path = blobs_.ReadPath(blob->key)) on_stored_(out, *path);
  }
  return out;
}

IngestOutcome IngestService::IngestFile(const fs::path& file, std::string_view source) {
  auto staged = blobs_.Stage();
  if (!staged) return Refused(staged.error());
  auto parsed = dicom::ReadInstanceFile(file);
  if (!parsed) {
    auto refused = Refused(parsed.error());
    refused.unreadable = dicom::IsUnreadable(parsed.error());
    return refused;
  }
  if (parsed->has_meta_header) {
    std::error_code ec;
    fs::copy_file(file, *staged, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      blobs_.Discard(*staged);
      return Refused(Error{ErrorCode::kUnavailable, "copy failed: " + ec.message()});
    }
  } else if (auto wrapped = dicom::WrapBareDataset(file, *parsed, *staged); !wrapped) {
    blobs_.Discard(*staged);
    return Refused(wrapped.error());
  }
  auto out = IngestStaged(*staged, source);
  if (out.ok() && !parsed->has_meta_header) out.warnings.push_back("no meta header: stored with a new one, dataset unchanged");
  return out;
}

}  // namespace systole::services
