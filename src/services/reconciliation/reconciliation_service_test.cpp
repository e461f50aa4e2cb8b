#include "services/reconciliation/reconciliation_service.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_reconciliation.h"

namespace systole::services {
namespace {

domain::Patient Jane() { return {{"P1", "HOSP"}, "Doe^Jane", "19700101", "F"}; }

class ReconciliationServiceTest : public ::testing::Test {
 protected:
  void Order(const std::string& accession, const domain::Patient& patient) {
    domain::ScheduledStep s;
    s.accession_number = accession;
    s.step_id = accession;
    s.patient = patient;
    s.indication = "Dyspnoea";
    s.priority = "STAT";
    s.referring_physician = "House^Gregory";
    s.requested_procedure_description = "TTE";
    ASSERT_TRUE(orders_.UpsertStep(s));
  }
  // A study stored with `header` filed under `filed` in the index.
  void Store(const std::string& uid, const domain::Patient& header, const std::string& accession) {
    store_.FileStudy(uid, header);
    ASSERT_TRUE(recon_.StudyStored(uid, header, accession));
  }
  domain::StudyReconciliation Get(const std::string& uid) {
    auto r = recon_.Get(uid);
    EXPECT_TRUE(r && r->has_value());
    return r && *r ? **r : domain::StudyReconciliation{};
  }

  adapters::MemoryIndex orders_;
  adapters::MemoryReconciliation store_;
  ReconciliationService recon_{store_, orders_};
};

TEST_F(ReconciliationServiceTest, LinksAStudyToItsOrderAndKeepsTheOrderContext) {
  Order("ACC1", Jane());
  domain::Patient header = Jane();
  header.name = "DOE^JANE^";  // case and trailing empty components do not matter
  header.identity.issuer = "";  // absent on one side: not a disagreement
  Store("1.2.3", header, "ACC1");
  auto r = Get("1.2.3");
  EXPECT_EQ(r.state, domain::kReconLinked);
  EXPECT_EQ(r.order_accession, "ACC1");
  EXPECT_EQ(r.indication, "Dyspnoea");
  EXPECT_EQ(r.priority, "STAT");
  EXPECT_EQ(r.referring_physician, "House^Gregory");
  EXPECT_EQ(r.requested_procedure, "TTE");
  // A second instance of the same study changes nothing.
  ASSERT_TRUE(recon_.StudyStored("1.2.3", {{"X", ""}, "", "", ""}, "OTHER"));
  EXPECT_EQ(Get("1.2.3").state, domain::kReconLinked);
  auto log = recon_.Log(10);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].action, "auto-link");
  EXPECT_EQ((*log)[0].user, "system");
}

TEST_F(ReconciliationServiceTest, UnknownOrMissingAccessionIsAnOrphanUntilTheOrderArrives) {
  Store("1.1", Jane(), "");
  Store("1.2", Jane(), "LATE");
  auto orphans = recon_.Orphans();
  ASSERT_TRUE(orphans);
  EXPECT_EQ(orphans->size(), 2u);
  Order("LATE", Jane());
  auto linked = recon_.Retry();
  ASSERT_TRUE(linked);
  EXPECT_EQ(*linked, 1u);
  EXPECT_EQ(Get("1.2").state, domain::kReconLinked);
  EXPECT_EQ(Get("1.1").state, domain::kReconOrphan);
}

TEST_F(ReconciliationServiceTest, DisagreeingDemographicsAreFlaggedNotLinked) {
  Order("ACC2", Jane());
  domain::Patient header = Jane();
  header.birth_date = "19710101";
  header.sex = "M";
  Store("2.1", header, "ACC2");
  auto r = Get("2.1");
  EXPECT_EQ(r.state, domain::kReconMismatch);
  EXPECT_TRUE(r.indication.empty());
  ASSERT_EQ(r.differences.size(), 2u);
  EXPECT_EQ(r.differences[0].attribute, "PatientBirthDate");
  EXPECT_EQ(r.differences[0].header, "19710101");
  EXPECT_EQ(r.differences[0].order, "19700101");
  EXPECT_EQ(r.differences[1].attribute, "PatientSex");
  auto mismatches = recon_.Mismatches();
  ASSERT_TRUE(mismatches);
  EXPECT_EQ(mismatches->size(), 1u);
}

TEST_F(ReconciliationServiceTest, AdminLinkRefilesUnderTheOrdersPatientAndIsLogged) {
  Order("ACC3", Jane());
  Store("3.1", {{"TMP9", ""}, "Unknown^Patient", "", ""}, "");
  auto linked = recon_.Link("3.1", "ACC3", "alice");
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_EQ(linked->state, domain::kReconLinked);
  EXPECT_EQ(linked->indication, "Dyspnoea");
  auto filed = store_.StudyPatient("3.1");
  ASSERT_TRUE(filed);
  EXPECT_EQ(filed->identity.id, "P1");
  // The header is kept as received; retrieves get the corrected patient.
  auto corrected = store_.CorrectedPatients({"3.1"});
  ASSERT_TRUE(corrected);
  ASSERT_EQ(corrected->count("3.1"), 1u);
  EXPECT_EQ(corrected->at("3.1").birth_date, "19700101");
  auto log = recon_.Log(1);
  ASSERT_TRUE(log && log->size() == 1);
  EXPECT_EQ((*log)[0].user, "alice");
  EXPECT_EQ((*log)[0].action, "link");
  EXPECT_NE((*log)[0].before.find("\"orphan\""), std::string::npos);
  EXPECT_NE((*log)[0].after.find("\"linked\""), std::string::npos);

  EXPECT_EQ(recon_.Link("3.1", "NOPE", "alice").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(recon_.Link("missing", "ACC3", "alice").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(recon_.Link("3.1", "", "alice").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ReconciliationServiceTest, CorrectPatientAndDismiss) {
  Order("ACC4", Jane());
  domain::Patient wrong = Jane();
  wrong.birth_date = "19990909";
  Store("4.1", wrong, "ACC4");
  ASSERT_EQ(Get("4.1").state, domain::kReconMismatch);
  auto corrected = recon_.CorrectPatient("4.1", Jane(), "bob");
  ASSERT_TRUE(corrected) << corrected.error().message;
  EXPECT_EQ(corrected->state, domain::kReconLinked);

  Store("4.2", Jane(), "NOORDER");
  auto dismissed = recon_.Dismiss("4.2", "bob");
  ASSERT_TRUE(dismissed);
  EXPECT_EQ(dismissed->state, domain::kReconDismissed);
  EXPECT_EQ(recon_.Dismiss("4.2", "bob").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(recon_.CorrectPatient("4.2", {{"", ""}, "", "", ""}, "bob").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ReconciliationServiceTest, DuplicatePatientCandidates) {
  Store("5.1", {{"A", "HOSP"}, "Smith^John", "19600101", "M"}, "");
  Store("5.2", {{"B", "HOSP"}, "SMITH^JOHN^", "19600101", "M"}, "");
  Store("5.3", {{"C", "HOSP"}, "Smith^John", "19600102", "M"}, "");
  auto duplicates = recon_.DuplicatePatients();
  ASSERT_TRUE(duplicates);
  ASSERT_EQ(duplicates->size(), 1u);
  EXPECT_EQ((*duplicates)[0].patients.size(), 2u);
}

TEST(CompareIdentityTest, EmptyOnEitherSideIsNoDisagreement) {
  EXPECT_TRUE(CompareIdentity({{"P1", ""}, "", "", ""}, Jane()).empty());
  auto d = CompareIdentity({{"P2", "OTHER"}, "Roe^Jane", "19700101", "F"}, Jane());
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].attribute, "PatientID");
  EXPECT_EQ(d[1].attribute, "IssuerOfPatientID");
  EXPECT_EQ(d[2].attribute, "PatientName");
}

TEST_F(ReconciliationServiceTest, HeaderTextThatIsNotUtf8IsKeptAndLoggedWithoutThrowing) {
  // A header in a character set that could not be converted keeps its raw bytes.
  Store("6.1", {{"P6", ""}, "\xCF\xEE\xEB^\x1b$B", "", ""}, "");
  EXPECT_EQ(Get("6.1").state, domain::kReconOrphan);
  const std::string json = RecordJson(Get("6.1"));
  EXPECT_NE(json.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD in place of the invalid bytes
}

}  // namespace
}  // namespace systole::services
