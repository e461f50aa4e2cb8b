// The DICOM half of the permission matrix: every role × every DIMSE service, through a real
// DimseServer (as serve starts it) and a real DCMTK association request. Each role is a peer
// (allowed_peers AE → role); expected: the presentation context of a service is accepted ⇔ the
// role holds the permission config/permissions.json gives that service. A service without a rule
// fails the table's load (and this test).
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "protocols/dimse/dimse_server.h"
#include "server/wiring.h"

namespace systole::server {
namespace {

struct Proposal {
  const char* service;
  const char* abstract_syntax;
  T_ASC_SC_ROLE role;
};
// One presentation context per DIMSE service (C-GET's storage sub-operations: a storage class the
// requestor proposes as SCP).
const Proposal kProposals[] = {
    {"C-ECHO", UID_VerificationSOPClass, ASC_SC_ROLE_DEFAULT},
    {"C-STORE", UID_UltrasoundMultiframeImageStorage, ASC_SC_ROLE_DEFAULT},
    {"C-FIND", UID_FINDStudyRootQueryRetrieveInformationModel, ASC_SC_ROLE_DEFAULT},
    {"C-GET", UID_GETStudyRootQueryRetrieveInformationModel, ASC_SC_ROLE_DEFAULT},
    {"C-GET", UID_CTImageStorage, ASC_SC_ROLE_SCP},
    {"C-MOVE", UID_MOVEStudyRootQueryRetrieveInformationModel, ASC_SC_ROLE_DEFAULT},
    {"MWL-FIND", UID_FINDModalityWorklistInformationModel, ASC_SC_ROLE_DEFAULT},
};

// Which of kProposals the server accepted for calling AE `calling`; nullopt if the association failed.
std::optional<std::vector<bool>> Negotiate(std::uint16_t port, const std::string& calling) {
  T_ASC_Network* net = nullptr;
  if (ASC_initializeNetwork(NET_REQUESTOR, 0, 10, &net).bad()) return std::nullopt;
  T_ASC_Parameters* params = nullptr;
  ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU);
  ASC_setAPTitles(params, calling.c_str(), "SYSTOLE", nullptr);
  ASC_setPresentationAddresses(params, "localhost", fmt::format("127.0.0.1:{}", port).c_str());
  const char* syntaxes[] = {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax};
  T_ASC_PresentationContextID id = 1;
  for (const auto& p : kProposals) {
    ASC_addPresentationContext(params, id, p.abstract_syntax, syntaxes, 2, p.role);
    id += 2;
  }
  T_ASC_Association* assoc = nullptr;
  std::optional<std::vector<bool>> accepted;
  if (ASC_requestAssociation(net, params, &assoc).good()) {
    accepted.emplace();
    for (std::size_t i = 0; i < std::size(kProposals); ++i) {
      T_ASC_PresentationContext pc;
      const auto found = ASC_findAcceptedPresentationContext(assoc->params, static_cast<T_ASC_PresentationContextID>(1 + 2 * i), &pc);
      accepted->push_back(found.good() && pc.resultReason == ASC_P_ACCEPTANCE);
    }
    ASC_releaseAssociation(assoc);
    ASC_destroyAssociation(&assoc);
  } else if (assoc) {
    ASC_destroyAssociation(&assoc);
  }
  ASC_dropNetwork(&net);
  return accepted;
}

TEST(DicomPermissionsTest, EveryRoleOnEveryDimseServiceGetsWhatThePermissionTableSays) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("systole_dicom_permissions_{}", ::getpid());
  std::filesystem::remove_all(dir);
  Config config;
  config.data_dir = dir;
  config.permissions_file = std::filesystem::path(SYSTOLE_SOURCE_DIR) / "config/permissions.json";
  config.templates_dir = std::filesystem::path(SYSTOLE_SOURCE_DIR) / "templates";
  auto archive = Archive::Open(config);
  ASSERT_TRUE(archive) << archive.error().message;
  const security::PermissionTable& permissions = (*archive)->security().permissions();

  protocols::DimseConfig dimse;
  dimse.port = 0;
  const std::vector<std::string> roles = permissions.Roles();
  for (std::size_t i = 0; i < roles.size(); ++i)
    dimse.allowed_peers.push_back({fmt::format("ROLE{}", i), "", 0, "", roles[i]});
  dimse.authorize = [&](const std::string& role, const std::string& service) { return permissions.AllowsDicom(role, service); };
  protocols::DimseServer server(dimse, (*archive)->ingest(), (*archive)->query(), &(*archive)->identity());
  auto port = server.Start();
  ASSERT_TRUE(port) << port.error().message;

  int checked = 0;
  for (std::size_t i = 0; i < roles.size(); ++i) {
    auto accepted = Negotiate(*port, fmt::format("ROLE{}", i));
    ASSERT_TRUE(accepted) << "association of role " << roles[i] << " failed";
    for (std::size_t p = 0; p < std::size(kProposals); ++p) {
      const std::string* permission = permissions.DicomServicePermission(kProposals[p].service);
      ASSERT_NE(permission, nullptr) << kProposals[p].service << " has no rule in dicom_services";
      const bool expected = permissions.Allows(roles[i], *permission);
      EXPECT_EQ((*accepted)[p], expected) << "role " << roles[i] << ", " << kProposals[p].service << " ("
                                          << kProposals[p].abstract_syntax << "): needs " << *permission;
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(roles.size() * std::size(kProposals)));
  // The matrix is not trivial: some role is refused something, and a modality may store but not query.
  EXPECT_TRUE(permissions.AllowsDicom("modality", "C-STORE"));
  EXPECT_FALSE(permissions.AllowsDicom("modality", "C-FIND"));
  EXPECT_FALSE(permissions.AllowsDicom("referring", "C-STORE"));
  // An AE title not in allowed_peers gets no association at all.
  EXPECT_FALSE(Negotiate(*port, "STRANGER"));
  server.Stop();
  archive->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace systole::server
