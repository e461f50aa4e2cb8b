// DICOM TLS (PS3.15 B.1, BCP 195 profile: TLS 1.2+) through DCMTK's dcmtls,
// and the subject of a TLS peer's certificate.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dcmlayer.h>

#include <memory>
#include <string>

#include "base/result.h"
#include "protocols/tls/tls_context.h"

namespace systole::protocols::dimse {

// A transport layer for the acceptor: our certificate and key, the CA of client
// certificates, client certificates required when files.verify_peer.
// kInvalidArgument names the file DCMTK could not use.
Result<std::unique_ptr<DcmTransportLayer>> MakeTlsAcceptorLayer(const tls::TlsFiles& files);

// The subject CN of the certificate the peer of a TLS association presented; "" without one.
std::string PeerCertificateCommonName(T_ASC_Association* assoc);

}  // namespace systole::protocols::dimse
