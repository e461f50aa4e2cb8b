// C-ECHO and C-STORE.
#include <dcmtk/dcmdata/dcdeftag.h>

#include <memory>

#include "base/log.h"
#include "protocols/dimse/internal/association.h"

namespace systole::protocols::dimse {
namespace {

// Start writing received data to disk every this many bytes, so the final
// fdatasync at commit waits only for the tail.
constexpr unsigned long kWritebackChunk = 8ul << 20;

constexpr Uint16 kStatusOutOfResources = 0xA700;
constexpr Uint16 kStatusDoesNotMatchSopClass = 0xA900;
constexpr Uint16 kStatusCannotUnderstand = 0xC000;

struct StoreContext {
  AssociationContext* association;
  std::filesystem::path staged;
  bool discard_data = false;           // receiving into /dev/null after refusing up front
  std::optional<Error> early_refusal;
  unsigned long written_back = 0;
  std::unique_ptr<DcmDataset> status_detail;
};

Uint16 StatusFor(const Error& error, bool data_problem_parse) {
  switch (error.code) {
    case ErrorCode::kUnavailable: return kStatusOutOfResources;
    case ErrorCode::kInvalidArgument: return data_problem_parse ? kStatusCannotUnderstand : kStatusDoesNotMatchSopClass;
    default: return kStatusDoesNotMatchSopClass;
  }
}

void StoreCallback(void* data, T_DIMSE_StoreProgress* progress, T_DIMSE_C_StoreRQ* request, char* /*file*/,
                   DcmDataset** /*dataset*/, T_DIMSE_C_StoreRSP* response, DcmDataset** status_detail) {
  auto* ctx = static_cast<StoreContext*>(data);
  if (progress->state == DIMSE_StoreProgressing && !ctx->discard_data) {
    const unsigned long received = progress->progressBytes;
    if (received >= ctx->written_back + kWritebackChunk) {
      ctx->association->ingest->StartWriteback(ctx->staged, ctx->written_back, received - ctx->written_back);
      ctx->written_back = received;
    }
    return;
  }
  if (progress->state != DIMSE_StoreEnd) return;

  AssociationContext& a = *ctx->association;
  auto refuse = [&](const Error& error, Uint16 status, const std::string& sop) {
    response->DimseStatus = status;
    ctx->status_detail.reset(MakeErrorComment(error.message));
    *status_detail = ctx->status_detail.get();
    LOG_WARN("dimse", "C-STORE from {} refused (0x{:04X}): {} [sop {}]", a.Describe(), status, error.message, sop);
  };
  if (ctx->early_refusal) {
    refuse(*ctx->early_refusal, StatusFor(*ctx->early_refusal, false), request->AffectedSOPInstanceUID);
    return;
  }
  if (!std::filesystem::exists(ctx->staged)) {
    // DCMTK could not write the data (disk full) and removed the partial file.
    refuse(Error{ErrorCode::kUnavailable, "out of resources: the received data could not be written"},
           kStatusOutOfResources, request->AffectedSOPInstanceUID);
    return;
  }
  auto outcome = a.ingest->IngestStaged(ctx->staged, "dimse:" + a.Describe(), request->AffectedSOPInstanceUID);
  if (!outcome.ok()) {
    refuse(*outcome.error, StatusFor(*outcome.error, outcome.unreadable), request->AffectedSOPInstanceUID);
    return;
  }
  response->DimseStatus = STATUS_Success;
  for (const auto& warning : outcome.warnings)
    LOG_WARN("dimse", "C-STORE from {} accepted with warning: {} [sop {}]", a.Describe(), warning,
             outcome.sop_instance_uid);
  LOG_DEBUG("dimse", "C-STORE from {}: {} {}", a.Describe(), services::OutcomeName(outcome.kind),
            outcome.sop_instance_uid);
}

}  // namespace

DcmDataset* MakeErrorComment(const std::string& text) {
  auto* detail = new DcmDataset;
  detail->putAndInsertString(DCM_ErrorComment, text.substr(0, 64).c_str());
  return detail;
}

OFCondition HandleEcho(AssociationContext& ctx, T_DIMSE_C_EchoRQ& request, T_ASC_PresentationContextID pres_id) {
  return DIMSE_sendEchoResponse(ctx.assoc, pres_id, &request, STATUS_Success, nullptr);
}

OFCondition HandleStore(AssociationContext& ctx, T_DIMSE_C_StoreRQ& request, T_ASC_PresentationContextID pres_id) {
  StoreContext store{&ctx, {}, false, std::nullopt, 0, nullptr};
  if (auto capacity = ctx.ingest->CheckCapacity(); !capacity) {
    store.early_refusal = capacity.error();
  } else if (auto staged = ctx.ingest->Stage(); !staged) {
    store.early_refusal = staged.error();
  } else {
    store.staged = *staged;
  }
  // A request refused up front still has its data set on the wire: read it
  // into memory and drop it (never into a file: storage is what failed).
  store.discard_data = store.early_refusal.has_value();
  const std::string target = store.staged.string();
  DcmDataset* discarded = nullptr;
  OFCondition cond = DIMSE_storeProvider(ctx.assoc, pres_id, &request, store.discard_data ? nullptr : target.c_str(),
                                         /*writeMetaheader=*/OFTrue, store.discard_data ? &discarded : nullptr,
                                         &StoreCallback, &store, DIMSE_BLOCKING,
                                         static_cast<int>(ctx.config->dimse_timeout.count()));
  delete discarded;
  if (cond.bad()) {
    if (!store.discard_data) ctx.ingest->Discard(store.staged);  // the receive failed: nothing was acknowledged
    LOG_WARN("dimse", "C-STORE from {} failed while receiving: {}", ctx.Describe(), cond.text());
    // A write failure consumed the rest of the data set and was answered with
    // 0xA700: the association is still in a consistent state.
    if (cond == DIMSE_OUTOFRESOURCES) return EC_Normal;
  }
  return cond;
}

}  // namespace systole::protocols::dimse
