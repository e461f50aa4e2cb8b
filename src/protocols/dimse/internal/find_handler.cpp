// C-FIND (Patient Root and Study Root).
#include <dcmtk/dcmdata/dcuid.h>

#include <cstring>
#include <memory>

#include "base/log.h"
#include "protocols/dimse/internal/association.h"
#include "protocols/dimse/internal/identifier.h"

namespace systole::protocols::dimse {
namespace {

struct FindContext {
  AssociationContext* association = nullptr;
  bool patient_root = false;
  bool prepared = false;
  std::optional<Error> error;
  ParsedIdentifier parsed;
  std::vector<domain::QueryRow> rows;
  std::size_t next = 0;
};

void FindCallback(void* data, OFBool cancelled, T_DIMSE_C_FindRQ* /*request*/, DcmDataset* identifier,
                  int /*response_count*/, T_DIMSE_C_FindRSP* response, DcmDataset** response_ids,
                  DcmDataset** status_detail) {
  auto* ctx = static_cast<FindContext*>(data);
  AssociationContext& a = *ctx->association;
  *response_ids = nullptr;
  if (!ctx->prepared) {
    ctx->prepared = true;
    auto parsed = ParseIdentifier(*identifier, ctx->patient_root);
    if (!parsed) {
      ctx->error = parsed.error();
    } else {
      ctx->parsed = std::move(*parsed);
      auto rows = a.query->Find(ctx->parsed.query);
      if (!rows) ctx->error = rows.error();
      else ctx->rows = std::move(*rows);
    }
    if (!ctx->error)
      LOG_DEBUG("dimse", "C-FIND from {} at {} level: {} match(es)", a.Describe(),
                domain::LevelName(ctx->parsed.query.level), ctx->rows.size());
  }
  if (ctx->error) {
    response->DimseStatus = ctx->error->code == ErrorCode::kInvalidArgument ? STATUS_FIND_Failed_IdentifierDoesNotMatchSOPClass
                                                                            : STATUS_FIND_Failed_UnableToProcess;
    *status_detail = MakeErrorComment(ctx->error->message);  // DCMTK deletes it after sending
    LOG_WARN("dimse", "C-FIND from {} refused: {}", a.Describe(), ctx->error->message);
    return;
  }
  if (cancelled) {
    response->DimseStatus = STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest;
    return;
  }
  if (ctx->next < ctx->rows.size()) {
    *response_ids = BuildFindResponse(ctx->parsed, ctx->rows[ctx->next++], a.config->ae_title);
    response->DimseStatus = STATUS_Pending;
  } else {
    response->DimseStatus = STATUS_Success;
  }
}

}  // namespace

OFCondition HandleFind(AssociationContext& ctx, T_DIMSE_C_FindRQ& request, T_ASC_PresentationContextID pres_id) {
  FindContext find;
  find.association = &ctx;
  find.patient_root = std::strcmp(request.AffectedSOPClassUID, UID_FINDPatientRootQueryRetrieveInformationModel) == 0;
  return DIMSE_findProvider(ctx.assoc, pres_id, &request, &FindCallback, &find, DIMSE_BLOCKING,
                            static_cast<int>(ctx.config->dimse_timeout.count()));
}

}  // namespace systole::protocols::dimse
