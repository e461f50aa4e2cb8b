#include "protocols/dimse/internal/tls_layer.h"

#include <dcmtk/dcmtls/tlslayer.h>

#include <vector>

namespace systole::protocols::dimse {

Result<std::unique_ptr<DcmTransportLayer>> MakeTlsAcceptorLayer(const tls::TlsFiles& files) {
  auto layer = std::make_unique<DcmTLSTransportLayer>(NET_ACCEPTOR, nullptr, OFTrue);
  auto bad = [](const std::string& what, const OFCondition& cond) {
    return Fail(ErrorCode::kInvalidArgument, "DICOM TLS " + what + ": " + cond.text());
  };
  // BCP 195: TLS 1.2 or later with forward-secret AEAD suites.
  if (auto cond = layer->setTLSProfile(TSP_Profile_BCP195); cond.bad()) return bad("profile", cond);
  if (auto cond = layer->activateCipherSuites(); cond.bad()) return bad("cipher suites", cond);
  if (auto cond = layer->setPrivateKeyFile(files.key.c_str(), DCF_Filetype_PEM); cond.bad())
    return bad("private key " + files.key.string(), cond);
  if (auto cond = layer->setCertificateFile(files.cert.c_str(), DCF_Filetype_PEM); cond.bad())
    return bad("certificate " + files.cert.string(), cond);
  if (!layer->checkPrivateKeyMatchesCertificate())
    return Fail(ErrorCode::kInvalidArgument,
                "DICOM TLS private key " + files.key.string() + " does not match " + files.cert.string());
  if (!files.ca.empty()) {
    if (auto cond = layer->addTrustedCertificateFile(files.ca.c_str(), DCF_Filetype_PEM); cond.bad())
      return bad("CA file " + files.ca.string(), cond);
  }
  if (files.verify_peer && files.ca.empty())
    return Fail(ErrorCode::kInvalidArgument, "DICOM TLS: dicom.tls_verify_peer needs dicom.tls_ca");
  layer->setCertificateVerification(files.verify_peer ? DCV_requireCertificate : DCV_ignoreCertificate);
  return std::unique_ptr<DcmTransportLayer>(std::move(layer));
}

std::string PeerCertificateCommonName(T_ASC_Association* assoc) {
  const unsigned long length = ASC_getPeerCertificateLength(assoc);
  if (length == 0) return "";
  std::vector<std::uint8_t> der(length);
  const unsigned long got = ASC_getPeerCertificate(assoc, der.data(), length);
  der.resize(got);
  return tls::CommonNameOfDer(der);
}

}  // namespace systole::protocols::dimse
