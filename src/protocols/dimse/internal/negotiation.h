// Association negotiation policy: which presentation contexts Systole accepts
// and with which transfer syntax.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/assoc.h>

#include <functional>
#include <string>

namespace systole::protocols::dimse {

// Accepts or refuses every proposed presentation context:
//  - Verification and the Q/R FIND/GET/MOVE models: native syntaxes (explicit LE first);
//  - any other abstract syntax is treated as a storage SOP class: the first
//    proposed encapsulated (compressed) syntax DCMTK knows wins, so instances
//    are stored as the modality encoded them; otherwise explicit LE, implicit
//    LE, deflated, big endian in that order.
// The SCP/SCU role proposed is accepted (C-GET needs the requestor as storage SCP).
// worklist: accept the Modality Worklist FIND model (refused when false).
// allowed(service): may this peer use the service of a context (see ServiceOf)? A context of a
// service it may not use is refused as a user rejection.
OFCondition NegotiatePresentationContexts(T_ASC_Parameters* params, bool worklist,
                                          const std::function<bool(const std::string& service)>& allowed);

// The DIMSE service a proposed presentation context serves: "C-ECHO", "C-FIND", "C-GET",
// "C-MOVE", "MWL-FIND" or "C-STORE" (any other abstract syntax). A storage context the requestor
// proposes only as SCP is the receiving end of its own C-GET: "C-GET".
std::string ServiceOf(const char* abstract_syntax, T_ASC_SC_ROLE proposed_role);

bool IsQueryRetrieveModel(const char* abstract_syntax);

}  // namespace systole::protocols::dimse
