// C-FIND in the Modality Worklist Information Model (1.2.840.10008.5.1.4.31):
// the scheduled procedure steps of IdentityService, with the standard matching
// keys (PS3.4 K.6.1.2): ScheduledStationAETitle, Modality and
// ScheduledProcedureStepStartDate/Time (in the Scheduled Procedure Step
// Sequence), PatientID, PatientName, AccessionNumber, RequestedProcedureID,
// StudyInstanceUID, ReferringPhysicianName. Every requested key is returned
// (empty when Systole has no value); answers in UTF-8 (ISO_IR 192).
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <map>
#include <memory>

#include "base/log.h"
#include "protocols/dimse/internal/association.h"

namespace systole::protocols::dimse {
namespace {

using services::WorklistKey;

const std::map<DcmTagKey, WorklistKey>& TopLevelKeys() {
  static const std::map<DcmTagKey, WorklistKey> keys = {
      {DCM_PatientID, WorklistKey::kPatientID},
      {DCM_PatientName, WorklistKey::kPatientName},
      {DCM_AccessionNumber, WorklistKey::kAccessionNumber},
      {DCM_StudyInstanceUID, WorklistKey::kStudyInstanceUID},
      {DCM_RequestedProcedureID, WorklistKey::kRequestedProcedureID},
      {DCM_ReferringPhysicianName, WorklistKey::kReferringPhysicianName},
  };
  return keys;
}

const std::map<DcmTagKey, WorklistKey>& StepKeys() {
  static const std::map<DcmTagKey, WorklistKey> keys = {
      {DCM_ScheduledStationAETitle, WorklistKey::kScheduledStationAETitle},
      {DCM_Modality, WorklistKey::kModality},
      {DCM_ScheduledProcedureStepStartDate, WorklistKey::kScheduledProcedureStepStartDate},
      {DCM_ScheduledProcedureStepStartTime, WorklistKey::kScheduledProcedureStepStartTime},
      {DCM_ScheduledProcedureStepID, WorklistKey::kScheduledProcedureStepID},
      {DCM_ScheduledProcedureStepStatus, WorklistKey::kScheduledProcedureStepStatus},
  };
  return keys;
}

std::map<DcmTagKey, std::string> TopLevelValues(const domain::ScheduledStep& s) {
  return {
      {DCM_PatientID, s.patient.identity.id},
      {DCM_IssuerOfPatientID, s.patient.identity.issuer},
      {DCM_PatientName, s.patient.name},
      {DCM_PatientBirthDate, s.patient.birth_date},
      {DCM_PatientSex, s.patient.sex},
      {DCM_AccessionNumber, s.accession_number},
      {DCM_StudyInstanceUID, s.study_instance_uid},
      {DCM_RequestedProcedureID, s.requested_procedure_id},
      {DCM_RequestedProcedureDescription, s.requested_procedure_description},
      {DCM_RequestedProcedurePriority, s.priority},
      {DCM_ReasonForTheRequestedProcedure, s.indication},
      {DCM_ReferringPhysicianName, s.referring_physician},
      {DCM_RequestingPhysician, s.requesting_physician},
      {DCM_PlacerOrderNumberImagingServiceRequest, s.placer_order_number},
      {DCM_FillerOrderNumberImagingServiceRequest, s.filler_order_number},
  };
}

std::map<DcmTagKey, std::string> StepValues(const domain::ScheduledStep& s) {
  return {
      {DCM_ScheduledStationAETitle, s.station_ae_titles},
      {DCM_ScheduledStationName, s.station_name},
      {DCM_ScheduledProcedureStepLocation, s.location},
      {DCM_Modality, s.modality},
      {DCM_ScheduledProcedureStepStartDate, s.start_date},
      {DCM_ScheduledProcedureStepStartTime, s.start_time},
      {DCM_ScheduledProcedureStepID, s.step_id},
      {DCM_ScheduledProcedureStepDescription, s.step_description},
      {DCM_ScheduledPerformingPhysicianName, s.performing_physician},
      {DCM_ScheduledProcedureStepStatus, s.status},
  };
}

std::string StringOf(DcmElement* element) {
  OFString value;
  if (element->getOFStringArray(value).bad()) return {};
  std::string text(value.c_str(), value.length());
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

Status AddConditions(DcmItem& item, const std::map<DcmTagKey, WorklistKey>& keys,
                     std::vector<services::WorklistCondition>& out) {
  for (unsigned long i = 0; i < item.card(); ++i) {
    DcmElement* element = item.getElement(i);
    auto it = keys.find(element->getTag());
    if (it == keys.end()) continue;
    auto condition = services::ParseWorklistCondition(it->second, StringOf(element));
    if (!condition)
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(DcmTag(element->getTag()).getTagName()) + ": " + condition.error().message);
    out.push_back(std::move(*condition));
  }
  return {};
}

// Fills `out` with every key of `request`, valued from `values` when known.
void FillLike(DcmItem& request, const std::map<DcmTagKey, std::string>& values, DcmItem& out,
              const domain::ScheduledStep& step);

void FillLike(DcmItem& request, const std::map<DcmTagKey, std::string>& values, DcmItem& out,
              const domain::ScheduledStep& step) {
  for (unsigned long i = 0; i < request.card(); ++i) {
    DcmElement* element = request.getElement(i);
    const DcmTagKey key = element->getTag();
    if (key == DCM_SpecificCharacterSet || key.getGroup() == 0x0002) continue;
    if (key == DCM_ScheduledProcedureStepSequence) {
      auto* sequence = new DcmSequenceOfItems(key);
      auto* item = new DcmItem;
      auto* request_sequence = dynamic_cast<DcmSequenceOfItems*>(element);
      if (request_sequence && request_sequence->card() > 0) {
        FillLike(*request_sequence->getItem(0), StepValues(step), *item, step);
      } else {
        for (const auto& [tag, value] : StepValues(step)) item->putAndInsertString(tag, value.c_str());
      }
      sequence->append(item);
      out.insert(sequence, true);
      continue;
    }
    if (element->ident() == EVR_SQ) {
      out.insert(new DcmSequenceOfItems(key), true);
      continue;
    }
    auto it = values.find(key);
    if (it != values.end()) out.putAndInsertString(key, it->second.c_str());
    else out.insertEmptyElement(key);
  }
}

}  // namespace

OFCondition HandleWorklistFind(AssociationContext& ctx, T_DIMSE_C_FindRQ& request, T_ASC_PresentationContextID pres_id,
                               DcmDataset& identifier) {
  T_DIMSE_C_FindRSP response{};
  auto finish = [&](Uint16 status, const std::string& error) {
    response.DimseStatus = status;
    std::unique_ptr<DcmDataset> detail(error.empty() ? nullptr : MakeErrorComment(error));
    if (!error.empty()) LOG_WARN("dimse", "worklist C-FIND from {} refused: {}", ctx.Describe(), error);
    return DIMSE_sendFindResponse(ctx.assoc, pres_id, &request, &response, nullptr, detail.get());
  };
  if (!ctx.identity) return finish(STATUS_FIND_Refused_SOPClassNotSupported, "no worklist in this build");
  std::vector<services::WorklistCondition> conditions;
  auto added = AddConditions(identifier, TopLevelKeys(), conditions);
  DcmItem* step_item = nullptr;
  if (added && identifier.findAndGetSequenceItem(DCM_ScheduledProcedureStepSequence, step_item, 0).good() && step_item)
    added = AddConditions(*step_item, StepKeys(), conditions);
  if (!added) return finish(STATUS_FIND_Failed_IdentifierDoesNotMatchSOPClass, added.error().message);
  auto steps = ctx.identity->FindWorklist(conditions, 0);
  if (!steps) return finish(STATUS_FIND_Failed_UnableToProcess, steps.error().message);
  LOG_DEBUG("dimse", "worklist C-FIND from {}: {} match(es)", ctx.Describe(), steps->size());
  for (const auto& step : *steps) {
    DcmDataset match;
    match.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
    FillLike(identifier, TopLevelValues(step), match, step);
    response.DimseStatus = STATUS_Pending;
    OFCondition cond = DIMSE_sendFindResponse(ctx.assoc, pres_id, &request, &response, &match, nullptr);
    if (cond.bad()) return cond;
  }
  return finish(STATUS_Success, "");
}

}  // namespace systole::protocols::dimse
