#include "base/result.h"

#include <gtest/gtest.h>

namespace systole {
namespace {

Result<int> Half(int value) {
  if (value % 2 != 0) return Fail(ErrorCode::kInvalidArgument, "odd");
  return value / 2;
}

Result<int> Quarter(int value) {
  auto half = Half(value);
  SYSTOLE_RETURN_IF_ERROR(half);
  return Half(*half);
}

TEST(ResultTest, PropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto odd = Quarter(6);
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(odd.error().message, "odd");
}

TEST(ResultTest, NamesEveryCode) {
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kUnavailable), "Unavailable");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kNotFound), "NotFound");
}

}  // namespace
}  // namespace systole
