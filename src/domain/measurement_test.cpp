#include "domain/measurement.h"

#include <gtest/gtest.h>

namespace systole::domain {
namespace {

TEST(CanonicalCodeTest, MapsSnomedRtToSnomedCtAndKeepsOthers) {
  EXPECT_EQ(CanonicalCode({"T-32600", "SRT", "Left Ventricle"}), (Code{"87878005", "SCT", ""}));
  EXPECT_EQ(CanonicalCode({"T-32600", "SRT", "Left Ventricle"}).meaning, "Left Ventricle");
  EXPECT_EQ(CanonicalCode({"G-037A", "SRT", "e'"}), (Code{"399133000", "SCT", ""}));
  EXPECT_EQ(CanonicalCode({"29436-3", "LN", "LVIDd"}), (Code{"29436-3", "LN", ""}));
  // Unknown SRT codes and look-alike values in other schemes are left alone.
  EXPECT_EQ(CanonicalCode({"T-99999", "SRT", "?"}), (Code{"T-99999", "SRT", ""}));
  EXPECT_EQ(CanonicalCode({"T-32600", "99ACME", "?"}), (Code{"T-32600", "99ACME", ""}));
}

TEST(CanonicalQuantityTest, NormalisesUnitsOfOneDimension) {
  EXPECT_EQ(CanonicalQuantity("48", "mm")->value, "4.8");
  EXPECT_EQ(CanonicalQuantity("48", "mm")->unit, "cm");
  EXPECT_EQ(CanonicalQuantity("4.8", "cm")->value, "4.8");
  EXPECT_EQ(CanonicalQuantity("0.09", "m/s")->value, "9");
  EXPECT_EQ(CanonicalQuantity("0.09", "m/s")->unit, "cm/s");
  EXPECT_EQ(CanonicalQuantity("2.5", "m/s")->value, "250");
  EXPECT_EQ(CanonicalQuantity("120", "ml")->unit, "mL");
  EXPECT_EQ(CanonicalQuantity("120", "ml")->value, "120");
  EXPECT_EQ(CanonicalQuantity("0.19", "s")->value, "190");
  EXPECT_EQ(CanonicalQuantity("1.81", "m2")->unit, "m2");
  EXPECT_EQ(CanonicalQuantity("-18.5", "%")->value, "-18.5");
  EXPECT_EQ(CanonicalQuantity("64", "{H.B.}/min")->unit, "/min");
}

TEST(CanonicalQuantityTest, RefusesWhatIsNotADecimal) {
  EXPECT_FALSE(CanonicalQuantity("", "cm"));
  EXPECT_FALSE(CanonicalQuantity("abc", "cm"));
  EXPECT_FALSE(CanonicalQuantity("1.2.3", "cm"));
}

TEST(MeasurementSourceTest, NamesRoundTrip) {
  for (auto s : {MeasurementSource::kDevice, MeasurementSource::kReader, MeasurementSource::kAi})
    EXPECT_EQ(ParseSource(SourceName(s)), s);
  EXPECT_FALSE(ParseSource("typed"));
}

}  // namespace
}  // namespace systole::domain
