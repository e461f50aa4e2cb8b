#include "protocols/dimse/internal/negotiation.h"

#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <array>
#include <cstring>
#include <string_view>

namespace systole::protocols::dimse {
namespace {

constexpr std::array<const char*, 8> kQueryRetrieveModels{{
    UID_FINDPatientRootQueryRetrieveInformationModel,
    UID_FINDStudyRootQueryRetrieveInformationModel,
    UID_GETPatientRootQueryRetrieveInformationModel,
    UID_GETStudyRootQueryRetrieveInformationModel,
    UID_MOVEPatientRootQueryRetrieveInformationModel,
    UID_MOVEStudyRootQueryRetrieveInformationModel,
    UID_VerificationSOPClass,
    UID_FINDModalityWorklistInformationModel,
}};

// Native syntaxes in order of preference for storage.
constexpr std::array<const char*, 4> kNativeForStorage{{
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
}};

bool Proposed(const T_ASC_PresentationContext& pc, const char* ts) {
  for (int i = 0; i < pc.transferSyntaxCount; ++i)
    if (std::strcmp(pc.proposedTransferSyntaxes[i], ts) == 0) return true;
  return false;
}

bool IsNative(const char* ts) {
  for (const char* native : kNativeForStorage)
    if (std::strcmp(native, ts) == 0) return true;
  return false;
}

const char* ChooseTransferSyntax(const T_ASC_PresentationContext& pc, bool storage) {
  if (storage) {
    for (int i = 0; i < pc.transferSyntaxCount; ++i) {
      const char* ts = pc.proposedTransferSyntaxes[i];
      if (!IsNative(ts) && DcmXfer(ts).getXfer() != EXS_Unknown) return ts;
    }
    for (const char* ts : kNativeForStorage)
      if (Proposed(pc, ts)) return ts;
    return nullptr;
  }
  for (const char* ts : {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax})
    if (Proposed(pc, ts)) return ts;
  return nullptr;
}

}  // namespace

bool IsQueryRetrieveModel(const char* abstract_syntax) {
  for (const char* uid : kQueryRetrieveModels)
    if (std::strcmp(uid, abstract_syntax) == 0) return true;
  return false;
}

std::string ServiceOf(const char* abstract_syntax, T_ASC_SC_ROLE proposed_role) {
  const auto is = [abstract_syntax](const char* uid) { return std::strcmp(abstract_syntax, uid) == 0; };
  if (is(UID_VerificationSOPClass)) return "C-ECHO";
  if (is(UID_FINDModalityWorklistInformationModel)) return "MWL-FIND";
  if (is(UID_FINDPatientRootQueryRetrieveInformationModel) || is(UID_FINDStudyRootQueryRetrieveInformationModel)) return "C-FIND";
  if (is(UID_GETPatientRootQueryRetrieveInformationModel) || is(UID_GETStudyRootQueryRetrieveInformationModel)) return "C-GET";
  if (is(UID_MOVEPatientRootQueryRetrieveInformationModel) || is(UID_MOVEStudyRootQueryRetrieveInformationModel)) return "C-MOVE";
  return proposed_role == ASC_SC_ROLE_SCP ? "C-GET" : "C-STORE";
}

OFCondition NegotiatePresentationContexts(T_ASC_Parameters* params, bool worklist,
                                          const std::function<bool(const std::string& service)>& allowed) {
  const int count = ASC_countPresentationContexts(params);
  for (int i = 0; i < count; ++i) {
    T_ASC_PresentationContext pc;
    OFCondition cond = ASC_getPresentationContext(params, i, &pc);
    if (cond.bad()) return cond;
    const bool storage = !IsQueryRetrieveModel(pc.abstractSyntax);
    const char* ts = ChooseTransferSyntax(pc, storage);
    if (!worklist && std::strcmp(pc.abstractSyntax, UID_FINDModalityWorklistInformationModel) == 0) ts = nullptr;
    if (ts != nullptr && allowed && !allowed(ServiceOf(pc.abstractSyntax, pc.proposedRole))) {
      cond = ASC_refusePresentationContext(params, pc.presentationContextID, ASC_P_USERREJECTION);
    } else if (ts == nullptr) {
      cond = ASC_refusePresentationContext(params, pc.presentationContextID, ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
    } else {
      cond = ASC_acceptPresentationContext(params, pc.presentationContextID, ts, pc.proposedRole);
    }
    if (cond.bad()) return cond;
  }
  return EC_Normal;
}

}  // namespace systole::protocols::dimse
