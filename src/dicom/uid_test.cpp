#include "dicom/uid.h"

#include <gtest/gtest.h>

namespace systole::dicom {
namespace {

TEST(UidTest, AcceptsWellFormedUids) {
  EXPECT_EQ(CheckUid("1.2.840.10008.5.1.4.1.1.3.1"), UidCheck::kValid);
  EXPECT_EQ(CheckUid("2.25.0"), UidCheck::kValid);
}

TEST(UidTest, FlagsLeadingZeros) { EXPECT_EQ(CheckUid("1.2.03.4"), UidCheck::kLeadingZero); }

TEST(UidTest, RefusesMalformedUids) {
  EXPECT_EQ(CheckUid(""), UidCheck::kInvalid);
  EXPECT_EQ(CheckUid("1..2"), UidCheck::kInvalid);
  EXPECT_EQ(CheckUid("1.2."), UidCheck::kInvalid);
  EXPECT_EQ(CheckUid("1.2.a"), UidCheck::kInvalid);
  EXPECT_EQ(CheckUid(std::string(65, '1')), UidCheck::kInvalid);
}

}  // namespace
}  // namespace systole::dicom
