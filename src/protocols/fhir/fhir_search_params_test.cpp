// Logical ids, identifier systems and search parameter values.
#include <gtest/gtest.h>

#include "protocols/fhir/internal/ids.h"
#include "protocols/fhir/internal/search_params.h"

namespace systole::fhir {
namespace {

TEST(FhirIds, PatientIdsRoundTripAndStayWithinTheFhirIdAlphabet) {
  for (const domain::PatientIdentity& identity :
       {domain::PatientIdentity{"MRN-1", ""}, {"12 34/5", "HOSP"}, {"A.B", "1.2.840.99"}, {"x", "urn:x|y"}}) {
    const std::string id = PatientLogicalId(identity);
    EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-."), std::string::npos) << id;
    auto back = ParsePatientLogicalId(id);
    ASSERT_TRUE(back) << id;
    EXPECT_EQ(back->id, identity.id);
    EXPECT_EQ(back->issuer, identity.issuer);
  }
  EXPECT_EQ(PatientLogicalId({"MRN1", "HOSP"}), "MRN1.HOSP");
  EXPECT_EQ(PatientLogicalId({"MRN-1", ""}), "MRN-2D1");
  EXPECT_FALSE(ParsePatientLogicalId("bad-ZZ"));
  EXPECT_FALSE(ParsePatientLogicalId("trailing-2"));
  EXPECT_FALSE(ParsePatientLogicalId(".HOSP"));
}

TEST(FhirIds, IssuerSystemsMapBothWays) {
  EXPECT_EQ(IssuerSystem("1.2.840.10008"), "urn:oid:1.2.840.10008");
  EXPECT_EQ(IssuerSystem("urn:hospital:mrn"), "urn:hospital:mrn");
  EXPECT_EQ(IssuerSystem("St Mary"), "urn:systole:issuer:St%20Mary");
  EXPECT_EQ(IssuerSystem(""), "");
  EXPECT_FALSE(IsOid("1.02.3"));
  EXPECT_FALSE(IsOid("HOSP"));
  for (std::string issuer : {"1.2.840.10008", "urn:hospital:mrn", "St Mary", "HOSP", "http://h.org/mrn"})
    EXPECT_EQ(IssuerFromSystem(IssuerSystem(issuer)), issuer);
}

TEST(FhirIds, ObservationIdsCarryReportAndField) {
  const auto id = ObservationLogicalId("r-1", "lv.ef");
  auto back = ParseObservationLogicalId(id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->first, "r-1");
  EXPECT_EQ(back->second, "lv.ef");
  EXPECT_FALSE(ParseObservationLogicalId("noseparator"));
}

TEST(FhirSearchParams, TokensDistinguishAnyNoneAndGivenSystem) {
  auto any = ParseToken("123");
  EXPECT_FALSE(any.system);
  EXPECT_EQ(any.code, "123");
  auto none = ParseToken("|123");
  ASSERT_TRUE(none.system);
  EXPECT_EQ(*none.system, "");
  auto given = ParseToken("urn:oid:1.2.3|123");
  EXPECT_EQ(*given.system, "urn:oid:1.2.3");
  EXPECT_EQ(SplitAlternatives("a,b\\,c"), (std::vector<std::string>{"a", "b,c"}));
}

TEST(FhirSearchParams, PatientCriteriaFromReferencesAndIdentifiers) {
  auto ref = PatientFromReference("Patient/MRN1.HOSP");
  ASSERT_TRUE(ref);
  EXPECT_TRUE(ref->Matches({"MRN1", "HOSP"}));
  EXPECT_FALSE(ref->Matches({"MRN1", ""}));
  EXPECT_TRUE(PatientFromReference("http://h/fhir/Patient/MRN1")->Matches({"MRN1", ""}));
  EXPECT_EQ(PatientFromReference("Group/1").error().code, ErrorCode::kInvalidArgument);
  auto chained = PatientFromIdentifier("urn:oid:1.2.3|42");
  ASSERT_TRUE(chained);
  EXPECT_TRUE(chained->Matches({"42", "1.2.3"}));
  EXPECT_FALSE(chained->Matches({"42", "HOSP"}));
  EXPECT_TRUE(PatientFromIdentifier("42")->Matches({"42", "anything"}));
  EXPECT_FALSE(PatientFromIdentifier("|42")->Matches({"42", "HOSP"}));
  EXPECT_FALSE(PatientFromIdentifier("urn:x|"));
}

TEST(FhirSearchParams, DatePrefixesBecomeInclusiveDicomRanges) {
  DateRange range;
  ASSERT_TRUE(ApplyDateParam("2024-02", range));
  EXPECT_EQ(range.low, "20240201");
  EXPECT_EQ(range.high, "20240229");
  DateRange open;
  ASSERT_TRUE(ApplyDateParam("gt2023-12-31", open));
  ASSERT_TRUE(ApplyDateParam("lt2025", open));
  EXPECT_EQ(open.low, "20240101");
  EXPECT_EQ(open.high, "20241231");
  EXPECT_TRUE(open.Contains("20240615"));
  EXPECT_FALSE(open.Contains("20231231"));
  EXPECT_FALSE(open.Contains(""));
  DateRange day;
  ASSERT_TRUE(ApplyDateParam("ge2024-01-15T10:00:00Z", day));
  EXPECT_EQ(day.low, "20240115");
  ASSERT_TRUE(ApplyDateParam("le2024-01-15", day));
  EXPECT_EQ(day.DicomRange(), "20240115-20240115");
  DateRange bad;
  EXPECT_FALSE(ApplyDateParam("ne2024", bad));
  EXPECT_FALSE(ApplyDateParam("2024-13", bad));
  EXPECT_FALSE(ApplyDateParam("2024-02-30", bad));
  EXPECT_FALSE(ApplyDateParam("yesterday", bad));
}

TEST(FhirSearchParams, CountIsClampedAndMustBeANumber) {
  EXPECT_EQ(*ParseCount("5"), 5u);
  EXPECT_EQ(*ParseCount("1000"), kMaxCount);
  EXPECT_EQ(*ParseCount("0"), 1u);
  EXPECT_FALSE(ParseCount("ten"));
  EXPECT_FALSE(ParseCount("-1"));
}

}  // namespace
}  // namespace systole::fhir
