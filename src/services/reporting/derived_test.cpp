// Derived values against the formulas of the papers that define them. The
// inputs are round numbers chosen so that each expected value can be checked
// by hand from the published formula (worked here in the comments); the
// normal-range checks use the limits the templates take from the guidelines.
#include "services/reporting/derived.h"

#include <gtest/gtest.h>

#include <cmath>

namespace systole::services::derived {
namespace {

// Mosteller RD. Simplified calculation of body-surface area. N Engl J Med 1987;317:1098.
// BSA (m2) = sqrt(height cm × weight kg / 3600): 180 cm, 80 kg → sqrt(14400/3600) = 2.00.
TEST(DerivedTest, BsaMosteller) {
  EXPECT_NEAR(*BsaMosteller(180, 80), 2.00, 1e-9);
  EXPECT_NEAR(*BsaMosteller(168, 70), 1.807, 0.001);
  EXPECT_FALSE(BsaMosteller(0, 80));
  EXPECT_FALSE(BsaMosteller(180, -1));
}

// Du Bois D, Du Bois EF. A formula to estimate the approximate surface area if height and
// weight be known. Arch Intern Med 1916;17:863-71. BSA = 0.007184 × W^0.425 × H^0.725:
// 180 cm, 80 kg → 0.007184 × 6.439 × 43.16 = 1.996 m2 (close to Mosteller's 2.00, as expected).
TEST(DerivedTest, BsaDuBois) {
  EXPECT_NEAR(*BsaDuBois(180, 80), 1.996, 0.001);
  EXPECT_NEAR(*BsaDuBois(168, 70), 1.794, 0.001);
  EXPECT_FALSE(BsaDuBois(180, 0));
}

// Lang RM et al. Recommendations for cardiac chamber quantification by echocardiography in
// adults. J Am Soc Echocardiogr 2015;28:1-39, section "LV mass" (linear method, Devereux RB
// et al., Am J Cardiol 1986;57:450-8): 0.8 × 1.04 × [(IVS + LVID + PWT)³ − LVID³] + 0.6 g.
// IVSd 1.0, LVIDd 5.0, PWd 1.0 cm → 0.832 × (343 − 125) + 0.6 = 181.98 g;
// IVSd 1.1, LVIDd 5.5, PWd 1.1 cm → 0.832 × (456.53 − 166.38) + 0.6 = 242.01 g.
TEST(DerivedTest, LvMassLinearMethod) {
  EXPECT_NEAR(*LvMassLinear(1.0, 5.0, 1.0), 181.976, 1e-6);
  EXPECT_NEAR(*LvMassLinear(1.1, 5.5, 1.1), 242.011, 0.001);
  EXPECT_FALSE(LvMassLinear(1.0, 0, 1.0));
}

// Lang 2015, LV mass section: RWT = 2 × PWd / LVIDd; > 0.42 is concentric geometry.
// PWd 0.9, LVIDd 4.8 → 0.375; PWd 1.2, LVIDd 4.6 → 0.52 (concentric).
TEST(DerivedTest, RelativeWallThickness) {
  EXPECT_NEAR(*RelativeWallThickness(0.9, 4.8), 0.375, 1e-9);
  EXPECT_GT(*RelativeWallThickness(1.2, 4.6), 0.42);
}

// Nagueh SF et al. Recommendations for the evaluation of LV diastolic function by
// echocardiography. J Am Soc Echocardiogr 2016;29:277-314: E/e′ uses the average of septal
// and lateral e′ (average E/e′ > 14 abnormal). E 80, e′ septal 6, lateral 10 → 80 / 8 = 10.
// With one site only, that site's e′ is used: 80 / 6 = 13.3.
TEST(DerivedTest, EOverEPrimeAveragesSeptalAndLateral) {
  EXPECT_NEAR(*EOverEPrime(80, 6.0, 10.0), 10.0, 1e-9);
  EXPECT_NEAR(*EOverEPrime(80, 6.0, std::nullopt), 13.333, 0.001);
  EXPECT_NEAR(*EOverEPrime(80, std::nullopt, 10.0), 8.0, 1e-9);
  EXPECT_FALSE(EOverEPrime(80, std::nullopt, std::nullopt));
}

// Baumgartner H et al. Recommendations on the echocardiographic assessment of aortic valve
// stenosis: a focused update from the EACVI and the ASE. J Am Soc Echocardiogr 2017;30:372-92,
// continuity equation: AVA = CSA(LVOT) × VTI(LVOT) / VTI(AV), CSA = π (d/2)².
// d 2.0 cm, VTI(LVOT) 20 cm, VTI(AV) 80 cm → 3.1416 × 20 / 80 = 0.785 cm2 (< 1.0: severe).
TEST(DerivedTest, AorticValveAreaByContinuity) {
  EXPECT_NEAR(*AvaContinuity(2.0, 20, 80), 0.7854, 0.0001);
  EXPECT_NEAR(*AvaContinuity(2.2, 22, 50), M_PI * 1.21 * 22 / 50, 1e-9);
  EXPECT_FALSE(AvaContinuity(2.0, 20, 0));
}

// Baumgartner 2017 (simplified Bernoulli): ΔP = 4 v². Severe stenosis thresholds in that
// paper are Vmax ≥ 4 m/s and mean gradient ≥ 40 mmHg; 4 m/s → 64 mmHg peak.
// The mean gradient is the mean of the instantaneous gradients, not 4 × (mean v)²:
// velocities 1, 2, 3, 4 m/s → 4 × (1 + 4 + 9 + 16) / 4 = 30 mmHg (4 × 2.5² would be 25).
TEST(DerivedTest, BernoulliGradients) {
  EXPECT_NEAR(*PeakGradient(400), 64.0, 1e-9);
  EXPECT_NEAR(*PeakGradient(250), 25.0, 1e-9);
  EXPECT_NEAR(*MeanGradient({100, 200, 300, 400}), 30.0, 1e-9);
  EXPECT_FALSE(MeanGradient({}));
  EXPECT_FALSE(PeakGradient(-1));
}

// Lang 2015, LV systolic function: EF = (EDV − ESV) / EDV; SV = EDV − ESV.
// EDV 120, ESV 50 mL → SV 70 mL, EF 58.3 %. FS = (LVIDd − LVIDs) / LVIDd: 4.8, 3.1 → 35.4 %.
TEST(DerivedTest, EjectionFractionStrokeVolumeAndFractionalShortening) {
  EXPECT_NEAR(*StrokeVolume(120, 50), 70.0, 1e-9);
  EXPECT_NEAR(*EjectionFraction(120, 50), 58.333, 0.001);
  EXPECT_NEAR(*FractionalShortening(4.8, 3.1), 35.417, 0.001);
  EXPECT_FALSE(EjectionFraction(50, 120));  // ESV above EDV: refused, not a negative EF
}

// Indexed values (Lang 2015 indexes volumes and mass to BSA): EDV 120 mL, BSA 2.0 → 60 mL/m2.
TEST(DerivedTest, IndexedToBodySurfaceArea) {
  EXPECT_NEAR(*Indexed(120, 2.0), 60.0, 1e-9);
  EXPECT_FALSE(Indexed(120, 0));
}

TEST(DerivedTest, RegistryEvaluatesByName) {
  const Formula* mass = FindFormula("lv_mass_linear");
  ASSERT_NE(mass, nullptr);
  EXPECT_NEAR(*mass->evaluate({{"ivsd", 1.0}, {"lvidd", 5.0}, {"pwd", 1.0}}), 181.976, 1e-6);
  const Formula* e_e = FindFormula("e_over_e_prime");
  ASSERT_NE(e_e, nullptr);
  EXPECT_NEAR(*e_e->evaluate({{"e", 80}, {"lateral", 10}}), 8.0, 1e-9);
  EXPECT_NEAR(*FindFormula("peak_gradient_m_s")->evaluate({{"velocity", 4.0}}), 64.0, 1e-9);
  EXPECT_EQ(FindFormula("no_such_formula"), nullptr);
}

}  // namespace
}  // namespace systole::services::derived
