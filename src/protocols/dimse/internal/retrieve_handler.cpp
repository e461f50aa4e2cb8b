// C-GET and C-MOVE: send stored instances in their stored transfer syntax,
// converting only when the receiver did not accept it.
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cstring>
#include <map>
#include <memory>

#include "base/log.h"
#include "dicom/patient_module.h"
#include "protocols/dimse/internal/association.h"
#include "protocols/dimse/internal/identifier.h"

namespace systole::protocols::dimse {
namespace {

constexpr Uint16 kStatusSubOpsFailed = 0xA702;       // out of resources: unable to perform sub-operations
constexpr Uint16 kStatusMoveDestinationUnknown = 0xA801;
constexpr Uint16 kStatusIdentifierMismatch = 0xA900;
constexpr Uint16 kStatusWarningSomeFailed = 0xB000;

struct RetrieveContext {
  AssociationContext* association = nullptr;
  T_ASC_Association* target = nullptr;       // where sub-operations go
  std::string move_originator;               // C-MOVE only
  DIC_US move_message_id = 0;
  bool prepared = false;
  std::optional<Error> error;
  Uint16 error_status = 0;
  std::vector<services::RetrievableInstance> instances;
  std::size_t next = 0;
  DIC_US completed = 0, failed = 0, warning = 0;
  std::vector<std::string> failed_uids;
};

// Finds the instances to send, or sets ctx.error.
void Prepare(RetrieveContext& ctx, DcmDataset& identifier, bool patient_root) {
  auto parsed = ParseIdentifier(identifier, patient_root);
  if (!parsed) {
    ctx.error = parsed.error();
    ctx.error_status = kStatusIdentifierMismatch;
    return;
  }
  if (parsed->query.conditions.empty()) {
    ctx.error = Error{ErrorCode::kInvalidArgument, "retrieve identifier has no unique key"};
    ctx.error_status = kStatusIdentifierMismatch;
    return;
  }
  auto set = ctx.association->query->Retrieve(parsed->query);
  if (!set) {
    ctx.error = set.error();
    ctx.error_status = STATUS_MOVE_Failed_UnableToProcess;
    return;
  }
  ctx.instances = std::move(set->instances);
  ctx.failed_uids = std::move(set->missing);
  ctx.failed = static_cast<DIC_US>(ctx.failed_uids.size());
}

// Sends one instance over `assoc`; returns the DIMSE status of the sub-operation.
Uint16 SendInstance(RetrieveContext& ctx, const services::RetrievableInstance& item) {
  T_ASC_Association* assoc = ctx.target;
  const auto& inst = item.instance;
  T_DIMSE_C_StoreRQ request{};
  request.MessageID = assoc->nextMsgID++;
  OFStandard::strlcpy(request.AffectedSOPClassUID, inst.sop_class_uid.c_str(), sizeof(request.AffectedSOPClassUID));
  OFStandard::strlcpy(request.AffectedSOPInstanceUID, inst.sop_instance_uid.c_str(), sizeof(request.AffectedSOPInstanceUID));
  request.DataSetType = DIMSE_DATASET_PRESENT;
  request.Priority = DIMSE_PRIORITY_MEDIUM;
  if (!ctx.move_originator.empty()) {
    request.opts = O_STORE_MOVEORIGINATORAETITLE | O_STORE_MOVEORIGINATORID;
    OFStandard::strlcpy(request.MoveOriginatorApplicationEntityTitle, ctx.move_originator.c_str(),
                        sizeof(request.MoveOriginatorApplicationEntityTitle));
    request.MoveOriginatorID = ctx.move_message_id;
  }
  T_DIMSE_C_StoreRSP response{};
  DcmDataset* detail = nullptr;
  const int timeout = static_cast<int>(ctx.association->config->dimse_timeout.count());
  OFCondition cond;
  // (This DCMTK lookup falls back to any context of the SOP class: check the syntax it found.)
  T_ASC_PresentationContextID pres_id =
      ASC_findAcceptedPresentationContextID(assoc, inst.sop_class_uid.c_str(), inst.transfer_syntax_uid.c_str());
  T_ASC_PresentationContext found;
  if (pres_id != 0 && (ASC_findAcceptedPresentationContext(assoc->params, pres_id, &found).bad() ||
                       inst.transfer_syntax_uid != found.acceptedTransferSyntax))
    pres_id = 0;
  if (pres_id != 0 && !item.corrected_patient) {
    // Straight from the file: DCMTK streams the stored bytes after the meta header.
    cond = DIMSE_storeUser(assoc, pres_id, &request, item.path.c_str(), nullptr, nullptr, nullptr, DIMSE_BLOCKING,
                           timeout, &response, &detail, nullptr, 0);
  } else {
    // Converted for the receiver, and/or with the index's current patient module (IHE PIR).
    if (pres_id == 0) pres_id = ASC_findAcceptedPresentationContextID(assoc, inst.sop_class_uid.c_str());
    T_ASC_PresentationContext pc;
    if (pres_id == 0 || ASC_findAcceptedPresentationContext(assoc->params, pres_id, &pc).bad()) {
      LOG_WARN("dimse", "no accepted presentation context for {} ({}) on the retrieve association",
               inst.sop_instance_uid, inst.sop_class_uid);
      return STATUS_STORE_Refused_SOPClassNotSupported;
    }
    DcmFileFormat file;
    const E_TransferSyntax target_ts = DcmXfer(pc.acceptedTransferSyntax).getXfer();
    if (file.loadFile(item.path.c_str()).bad() ||
        file.getDataset()->chooseRepresentation(target_ts, nullptr).bad() ||
        !file.getDataset()->canWriteXfer(target_ts) ||
        (item.corrected_patient && !dicom::ApplyPatient(*file.getDataset(), *item.corrected_patient))) {
      LOG_WARN("dimse", "cannot convert {} from {} to {} for the receiver", inst.sop_instance_uid,
               inst.transfer_syntax_uid, pc.acceptedTransferSyntax);
      return STATUS_STORE_Error_CannotUnderstand;
    }
    if (inst.transfer_syntax_uid != pc.acceptedTransferSyntax)
      LOG_INFO("dimse", "sending {} converted from {} to {} (receiver refused the stored syntax)",
               inst.sop_instance_uid, inst.transfer_syntax_uid, pc.acceptedTransferSyntax);
    cond = DIMSE_storeUser(assoc, pres_id, &request, nullptr, file.getDataset(), nullptr, nullptr, DIMSE_BLOCKING,
                           timeout, &response, &detail, nullptr, 0);
  }
  delete detail;
  if (cond.bad()) {
    LOG_WARN("dimse", "sub-operation C-STORE of {} failed: {}", inst.sop_instance_uid, cond.text());
    return STATUS_STORE_Refused_OutOfResources;
  }
  return response.DimseStatus;
}

// One step of a retrieve: sends the next instance, or produces the final status.
template <typename Response>
void Step(RetrieveContext& ctx, OFBool cancelled, Response* response, DcmDataset** status_detail,
          DcmDataset** response_ids) {
  *response_ids = nullptr;
  if (ctx.error) {
    response->DimseStatus = ctx.error_status;
    *status_detail = MakeErrorComment(ctx.error->message);  // DCMTK deletes it after sending
    LOG_WARN("dimse", "retrieve from {} refused: {}", ctx.association->Describe(), ctx.error->message);
    return;
  }
  if (cancelled && ctx.next < ctx.instances.size()) {
    response->DimseStatus = STATUS_MOVE_Cancel_SubOperationsTerminatedDueToCancelIndication;
  } else if (ctx.next < ctx.instances.size()) {
    const auto& item = ctx.instances[ctx.next++];
    Uint16 status = SendInstance(ctx, item);
    if (status == STATUS_Success) ++ctx.completed;
    else if ((status & 0xF000) == 0xB000) ++ctx.warning;
    else {
      ++ctx.failed;
      ctx.failed_uids.push_back(item.instance.sop_instance_uid);
    }
    response->DimseStatus = STATUS_Pending;
  } else {
    response->DimseStatus = (ctx.failed > 0 || ctx.warning > 0) ? kStatusWarningSomeFailed : STATUS_Success;
    if (ctx.failed > 0 && ctx.completed == 0 && ctx.warning == 0) response->DimseStatus = kStatusSubOpsFailed;
  }
  const bool final = response->DimseStatus != STATUS_Pending;
  response->NumberOfRemainingSubOperations = static_cast<DIC_US>(ctx.instances.size() - ctx.next);
  response->NumberOfCompletedSubOperations = ctx.completed;
  response->NumberOfFailedSubOperations = ctx.failed;
  response->NumberOfWarningSubOperations = ctx.warning;
  if (final && !ctx.failed_uids.empty()) {
    std::string list;
    for (const auto& uid : ctx.failed_uids) list += (list.empty() ? "" : "\\") + uid;
    auto* ids = new DcmDataset;
    ids->putAndInsertString(DCM_FailedSOPInstanceUIDList, list.c_str());
    *response_ids = ids;
  }
  if (final)
    LOG_INFO("dimse", "retrieve for {}: {} sent, {} failed, {} warning(s)", ctx.association->Describe(),
             ctx.completed, ctx.failed, ctx.warning);
}

void GetCallback(void* data, OFBool cancelled, T_DIMSE_C_GetRQ* request, DcmDataset* identifier,
                 int /*count*/, T_DIMSE_C_GetRSP* response, DcmDataset** status_detail, DcmDataset** response_ids) {
  auto* ctx = static_cast<RetrieveContext*>(data);
  if (!ctx->prepared) {
    ctx->prepared = true;
    Prepare(*ctx, *identifier,
            std::strcmp(request->AffectedSOPClassUID, UID_GETPatientRootQueryRetrieveInformationModel) == 0);
  }
  Step(*ctx, cancelled, response, status_detail, response_ids);
}

// Opens the sub-association for a C-MOVE, proposing for every SOP class to
// send its stored transfer syntax first, then the native ones.
Result<T_ASC_Association*> OpenSubAssociation(RetrieveContext& ctx, const DicomPeer& destination,
                                              T_ASC_Network* network) {
  const DimseConfig& config = *ctx.association->config;
  T_ASC_Parameters* params = nullptr;
  ASC_createAssociationParameters(&params, config.max_pdu);
  ASC_setAPTitles(params, config.ae_title.c_str(), destination.ae_title.c_str(), nullptr);
  const std::string address = destination.host + ":" + std::to_string(destination.port);
  ASC_setPresentationAddresses(params, "localhost", address.c_str());
  std::map<std::pair<std::string, std::string>, bool> proposed;
  T_ASC_PresentationContextID id = 1;
  for (const auto& item : ctx.instances) {
    // One context with the stored syntax alone (so a receiver that supports it
    // gets the data unchanged), one with the native syntaxes to fall back on.
    const auto& sop_class = item.instance.sop_class_uid;
    for (const std::string& ts : {item.instance.transfer_syntax_uid, std::string("native")}) {
      auto key = std::make_pair(sop_class, ts);
      if (proposed.count(key) || id > 253) continue;
      proposed[key] = true;
      std::vector<const char*> syntaxes;
      if (ts == "native") syntaxes = {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax};
      else syntaxes = {item.instance.transfer_syntax_uid.c_str()};
      ASC_addPresentationContext(params, id, sop_class.c_str(), syntaxes.data(), static_cast<int>(syntaxes.size()));
      id += 2;
    }
  }
  T_ASC_Association* assoc = nullptr;
  OFCondition cond = ASC_requestAssociation(network, params, &assoc);
  if (cond.bad()) {
    if (assoc) ASC_destroyAssociation(&assoc);
    else ASC_destroyAssociationParameters(&params);
    return Fail(ErrorCode::kUnavailable, "cannot associate with move destination " + destination.ae_title + " at " +
                                             address + ": " + cond.text());
  }
  if (ASC_countAcceptedPresentationContexts(assoc->params) == 0) {
    ASC_abortAssociation(assoc);
    ASC_destroyAssociation(&assoc);
    return Fail(ErrorCode::kUnavailable, "move destination " + destination.ae_title + " accepted no presentation context");
  }
  return assoc;
}

}  // namespace

OFCondition HandleGet(AssociationContext& ctx, T_DIMSE_C_GetRQ& request, T_ASC_PresentationContextID pres_id) {
  RetrieveContext get;
  get.association = &ctx;
  get.target = ctx.assoc;
  return DIMSE_getProvider(ctx.assoc, pres_id, &request, &GetCallback, &get, DIMSE_BLOCKING,
                           static_cast<int>(ctx.config->dimse_timeout.count()));
}

OFCondition HandleMove(AssociationContext& ctx, T_DIMSE_C_MoveRQ& request, T_ASC_PresentationContextID pres_id) {
  RetrieveContext move;
  move.association = &ctx;
  move.move_originator = ctx.calling_ae;
  move.move_message_id = request.MessageID;
  const std::string destination_ae = request.MoveDestination;
  const DicomPeer* destination = nullptr;
  for (const auto& peer : ctx.config->move_destinations)
    if (peer.ae_title == destination_ae) destination = &peer;

  T_ASC_Network* network = nullptr;
  if (destination == nullptr) {
    move.prepared = true;
    move.error = Error{ErrorCode::kNotFound, "move destination '" + destination_ae + "' unknown"};
    move.error_status = kStatusMoveDestinationUnknown;
  } else {
    // The identifier arrives with the request: read it, find the instances,
    // then open the sub-association before the first response.
    ASC_initializeNetwork(NET_REQUESTOR, 0, static_cast<int>(ctx.config->dimse_timeout.count()), &network);
  }
  struct Deferred {
    RetrieveContext* ctx;
    const DicomPeer* destination;
    T_ASC_Network* network;
  } deferred{&move, destination, network};
  auto callback = [](void* data, OFBool cancelled, T_DIMSE_C_MoveRQ* rq, DcmDataset* identifier, int /*count*/,
                     T_DIMSE_C_MoveRSP* response, DcmDataset** status_detail, DcmDataset** response_ids) {
    auto* d = static_cast<Deferred*>(data);
    RetrieveContext& c = *d->ctx;
    if (!c.prepared && d->destination != nullptr) {
      c.prepared = true;
      Prepare(c, *identifier, std::strcmp(rq->AffectedSOPClassUID, UID_MOVEPatientRootQueryRetrieveInformationModel) == 0);
      if (!c.error && !c.instances.empty()) {
        auto sub = OpenSubAssociation(c, *d->destination, d->network);
        if (!sub) {
          c.error = sub.error();
          c.error_status = kStatusSubOpsFailed;
        } else {
          c.target = *sub;
        }
      }
    }
    Step(c, cancelled, response, status_detail, response_ids);
  };
  OFCondition cond = DIMSE_moveProvider(ctx.assoc, pres_id, &request, callback, &deferred, DIMSE_BLOCKING,
                                        static_cast<int>(ctx.config->dimse_timeout.count()));
  if (move.target != nullptr) {
    if (ASC_releaseAssociation(move.target).bad()) ASC_abortAssociation(move.target);
    ASC_destroyAssociation(&move.target);
  }
  if (network) ASC_dropNetwork(&network);
  return cond;
}

}  // namespace systole::protocols::dimse
