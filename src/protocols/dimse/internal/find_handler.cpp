// C-FIND (Patient Root and Study Root).
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dulstruc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include "base/log.h"
#include "protocols/dimse/internal/association.h"
#include "protocols/dimse/internal/identifier.h"

namespace systole::protocols::dimse {
namespace {

// How often to look for a C-CANCEL-RQ while sending matches. DCMTK's own
// provider checks before every response with a non-blocking read that costs
// more than answering a whole small query.
constexpr std::size_t kCancelCheckInterval = 64;

// DCMTK keeps the socket of a connection protected; a pointer to the member,
// taken through a subclass, reads it without touching DCMTK's state.
struct SocketOf : DcmTransportConnection {
  static constexpr auto kGetSocket = &SocketOf::getSocket;
};

// Holds partial TCP segments while the answers are written: DCMTK writes each
// response as several small PDVs, and with Nagle off every one would be its
// own packet and its own wake-up for the client.
class CorkedSocket {
 public:
  explicit CorkedSocket(T_ASC_Association* assoc) {
    auto* key = reinterpret_cast<PRIVATE_ASSOCIATIONKEY*>(assoc->DULassociation);
    if (key && key->connection) fd_ = (key->connection->*SocketOf::kGetSocket)();
    Set(1);
  }
  ~CorkedSocket() { Set(0); }  // uncorking sends what is held
  CorkedSocket(const CorkedSocket&) = delete;
  CorkedSocket& operator=(const CorkedSocket&) = delete;

 private:
  void Set(int on) {
    if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
  }
  int fd_ = -1;
};

}  // namespace

OFCondition HandleFind(AssociationContext& ctx, T_DIMSE_C_FindRQ& request, T_ASC_PresentationContextID pres_id) {
  const int timeout = static_cast<int>(ctx.config->dimse_timeout.count());
  T_ASC_PresentationContextID data_pres_id = 0;
  DcmDataset* received = nullptr;
  OFCondition cond = DIMSE_receiveDataSetInMemory(ctx.assoc, DIMSE_BLOCKING, timeout, &data_pres_id, &received,
                                                  nullptr, nullptr);
  std::unique_ptr<DcmDataset> identifier(received);
  if (cond.bad()) return cond;

  T_DIMSE_C_FindRSP response{};
  auto finish = [&](Uint16 status, const std::string& error) {
    response.DimseStatus = status;
    std::unique_ptr<DcmDataset> detail(error.empty() ? nullptr : MakeErrorComment(error));
    if (!error.empty()) LOG_WARN("dimse", "C-FIND from {} refused: {}", ctx.Describe(), error);
    return DIMSE_sendFindResponse(ctx.assoc, pres_id, &request, &response, nullptr, detail.get());
  };
  if (data_pres_id != pres_id) return finish(STATUS_FIND_Failed_UnableToProcess, "identifier on another presentation context");

  if (std::strcmp(request.AffectedSOPClassUID, UID_FINDModalityWorklistInformationModel) == 0)
    return HandleWorklistFind(ctx, request, pres_id, *identifier);
  const bool patient_root = std::strcmp(request.AffectedSOPClassUID, UID_FINDPatientRootQueryRetrieveInformationModel) == 0;
  auto parsed = ParseIdentifier(*identifier, patient_root);
  if (!parsed) return finish(STATUS_FIND_Failed_IdentifierDoesNotMatchSOPClass, parsed.error().message);
  auto rows = ctx.query->Find(parsed->query);
  if (!rows) {
    return finish(rows.error().code == ErrorCode::kInvalidArgument ? STATUS_FIND_Failed_IdentifierDoesNotMatchSOPClass
                                                                   : STATUS_FIND_Failed_UnableToProcess,
                  rows.error().message);
  }
  LOG_DEBUG("dimse", "C-FIND from {} at {} level: {} match(es)", ctx.Describe(),
            domain::LevelName(parsed->query.level), rows->size());
  CorkedSocket cork(ctx.assoc);
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (i > 0 && i % kCancelCheckInterval == 0 && ASC_dataWaiting(ctx.assoc, 0) &&
        DIMSE_checkForCancelRQ(ctx.assoc, pres_id, request.MessageID) == EC_Normal)
      return finish(STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest, "");
    std::unique_ptr<DcmDataset> match(BuildFindResponse(*parsed, (*rows)[i], ctx.config->ae_title));
    response.DimseStatus = STATUS_Pending;
    cond = DIMSE_sendFindResponse(ctx.assoc, pres_id, &request, &response, match.get(), nullptr);
    if (cond.bad()) return cond;
  }
  return finish(STATUS_Success, "");
}

}  // namespace systole::protocols::dimse
