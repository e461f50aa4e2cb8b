// Association negotiation policy: which presentation contexts Systole accepts
// and with which transfer syntax.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/assoc.h>

namespace systole::protocols::dimse {

// Accepts or refuses every proposed presentation context:
//  - Verification and the Q/R FIND/GET/MOVE models: native syntaxes (explicit LE first);
//  - any other abstract syntax is treated as a storage SOP class: the first
//    proposed encapsulated (compressed) syntax DCMTK knows wins, so instances
//    are stored as the modality encoded them; otherwise explicit LE, implicit
//    LE, deflated, big endian in that order.
// The SCP/SCU role proposed is accepted (C-GET needs the requestor as storage SCP).
// worklist: accept the Modality Worklist FIND model (refused when false).
OFCondition NegotiatePresentationContexts(T_ASC_Parameters* params, bool worklist);

bool IsQueryRetrieveModel(const char* abstract_syntax);

}  // namespace systole::protocols::dimse
