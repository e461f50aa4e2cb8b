// What a DIMSE request handler gets: the association and the services.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/dimse.h>

#include <atomic>
#include <string>

#include "protocols/dimse/dimse_server.h"

namespace systole::protocols::dimse {

struct AssociationContext {
  T_ASC_Association* assoc = nullptr;
  std::string calling_ae;
  std::string called_ae;
  std::string peer_host;
  const DimseConfig* config = nullptr;
  services::IngestService* ingest = nullptr;
  services::QueryService* query = nullptr;
  services::IdentityService* identity = nullptr;  // nullptr: no Modality Worklist
  const std::atomic<bool>* stopping = nullptr;

  std::string Describe() const { return calling_ae + "@" + peer_host; }
};

// Each handler serves one request whose command was already received, sends
// every response, and returns a bad condition only when the association is no
// longer usable.
OFCondition HandleEcho(AssociationContext& ctx, T_DIMSE_C_EchoRQ& request, T_ASC_PresentationContextID pres_id);
OFCondition HandleStore(AssociationContext& ctx, T_DIMSE_C_StoreRQ& request, T_ASC_PresentationContextID pres_id);
OFCondition HandleFind(AssociationContext& ctx, T_DIMSE_C_FindRQ& request, T_ASC_PresentationContextID pres_id);
OFCondition HandleGet(AssociationContext& ctx, T_DIMSE_C_GetRQ& request, T_ASC_PresentationContextID pres_id);
OFCondition HandleMove(AssociationContext& ctx, T_DIMSE_C_MoveRQ& request, T_ASC_PresentationContextID pres_id);
// Modality Worklist C-FIND; the identifier was already received.
OFCondition HandleWorklistFind(AssociationContext& ctx, T_DIMSE_C_FindRQ& request, T_ASC_PresentationContextID pres_id,
                               DcmDataset& identifier);

// A DIMSE ErrorComment (0000,0902) status detail: LO, at most 64 characters.
DcmDataset* MakeErrorComment(const std::string& text);

}  // namespace systole::protocols::dimse
