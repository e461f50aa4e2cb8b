#include "domain/query.h"

#include <gtest/gtest.h>

namespace systole::domain {
namespace {

bool M(Attribute a, std::string_view query, std::string_view stored) {
  auto m = ParseMatcher(a, query);
  EXPECT_TRUE(m.has_value()) << query;
  return m && Matches(a, *m, stored);
}

TEST(QueryMatchingTest, UniversalMatchesEverything) {
  EXPECT_TRUE(M(Attribute::PatientID, "", "ANY"));
  EXPECT_TRUE(M(Attribute::PatientID, "*", ""));
}

TEST(QueryMatchingTest, SingleValueIsExactAndCaseSensitiveForText) {
  EXPECT_TRUE(M(Attribute::PatientID, "ABC123", "ABC123"));
  EXPECT_FALSE(M(Attribute::PatientID, "abc123", "ABC123"));
  EXPECT_FALSE(M(Attribute::PatientID, "ABC", "ABC123"));
}

TEST(QueryMatchingTest, PersonNamesAreCaseInsensitive) {
  EXPECT_TRUE(M(Attribute::PatientName, "doe^john", "DOE^JOHN"));
  EXPECT_TRUE(M(Attribute::PatientName, "DO*", "Doe^Jane"));
  EXPECT_FALSE(M(Attribute::PatientName, "DOE", "DOE^JOHN"));
}

TEST(QueryMatchingTest, Wildcards) {
  EXPECT_TRUE(M(Attribute::AccessionNumber, "A?C*", "ABC-77"));
  EXPECT_TRUE(M(Attribute::AccessionNumber, "*77", "ABC-77"));
  EXPECT_FALSE(M(Attribute::AccessionNumber, "A?C", "ABCD"));
  EXPECT_TRUE(M(Attribute::AccessionNumber, "**", ""));
}

TEST(QueryMatchingTest, DateRanges) {
  EXPECT_TRUE(M(Attribute::StudyDate, "20230101-20231231", "20230615"));
  EXPECT_FALSE(M(Attribute::StudyDate, "20230101-20231231", "20240101"));
  EXPECT_TRUE(M(Attribute::StudyDate, "-20230101", "20220101"));
  EXPECT_TRUE(M(Attribute::StudyDate, "20230101-", "20250101"));
  EXPECT_FALSE(M(Attribute::StudyDate, "20230101-", ""));
  EXPECT_TRUE(M(Attribute::StudyDate, "20230615", "20230615"));
  EXPECT_FALSE(ParseMatcher(Attribute::StudyDate, "2023-01").has_value());
  EXPECT_FALSE(ParseMatcher(Attribute::StudyDate, "20231231-20230101").has_value());
}

TEST(QueryMatchingTest, TimeRangesIncludeWhatTheyPrefix) {
  EXPECT_TRUE(M(Attribute::StudyTime, "0800-1200", "120030.5"));
  EXPECT_TRUE(M(Attribute::StudyTime, "0800-1200", "0930"));
  EXPECT_FALSE(M(Attribute::StudyTime, "0800-1200", "1201"));
  EXPECT_TRUE(M(Attribute::StudyTime, "10", "101500"));
}

TEST(QueryMatchingTest, UidLists) {
  EXPECT_TRUE(M(Attribute::StudyInstanceUID, "1.2.3\\1.2.4", "1.2.4"));
  EXPECT_FALSE(M(Attribute::StudyInstanceUID, "1.2.3\\1.2.4", "1.2.5"));
  EXPECT_FALSE(ParseMatcher(Attribute::StudyInstanceUID, "1.2.*").has_value());
}

TEST(QueryMatchingTest, ModalitiesInStudyMatchesAnyValue) {
  EXPECT_TRUE(M(Attribute::ModalitiesInStudy, "US", "\\SR\\US\\"));
  EXPECT_TRUE(M(Attribute::ModalitiesInStudy, "XA\\US", "\\US\\"));
  EXPECT_FALSE(M(Attribute::ModalitiesInStudy, "XA", "\\US\\SR\\"));
}

}  // namespace
}  // namespace systole::domain
