// Derived values: pure functions computing report values from other values,
// and a registry naming them so templates (data) can say which field is
// derived by which formula from which fields.
//
// Units: lengths in cm, velocities in cm/s unless a name says m/s, volumes in
// mL, heights in cm, weights in kg, areas in cm2, BSA in m2, gradients in
// mm[Hg], mass in g. Every function returns nullopt when an input is outside
// its domain (zero or negative where that makes no sense).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace systole::services::derived {

// Mosteller RD, N Engl J Med 1987;317:1098: sqrt(height cm × weight kg / 3600).
std::optional<double> BsaMosteller(double height_cm, double weight_kg);
// Du Bois D, Du Bois EF, Arch Intern Med 1916;17:863: 0.007184 × W^0.425 × H^0.725.
std::optional<double> BsaDuBois(double height_cm, double weight_kg);
// A value indexed to body surface area (EDV/ESV/SV index, LA volume index, LV mass index).
std::optional<double> Indexed(double value, double bsa_m2);
// ASE linear method (Devereux, Am J Cardiol 1986;57:450; Lang et al., JASE 2015;28:1-39):
// 0.8 × 1.04 × [(IVSd + LVIDd + PWd)³ − LVIDd³] + 0.6 g, dimensions in cm.
std::optional<double> LvMassLinear(double ivsd_cm, double lvidd_cm, double pwd_cm);
// Relative wall thickness 2 × PWd / LVIDd (Lang 2015).
std::optional<double> RelativeWallThickness(double pwd_cm, double lvidd_cm);
// E/e′ with e′ the average of septal and lateral when both are given, else the one given.
std::optional<double> EOverEPrime(double e_cm_s, std::optional<double> septal_cm_s, std::optional<double> lateral_cm_s);
// Continuity equation: AVA = π (LVOT d / 2)² × VTI(LVOT) / VTI(AV), cm2.
std::optional<double> AvaContinuity(double lvot_diameter_cm, double lvot_vti_cm, double av_vti_cm);
// Simplified Bernoulli: peak gradient 4 v² with v in m/s (velocity given in cm/s; the
// registry also has "peak_gradient_m_s" for fields kept in m/s).
std::optional<double> PeakGradient(double velocity_cm_s);
// Mean gradient: the mean of 4 v² over the instantaneous velocities of the envelope (cm/s).
std::optional<double> MeanGradient(const std::vector<double>& velocities_cm_s);
// Stroke volume EDV − ESV, ejection fraction (EDV − ESV) / EDV × 100 %.
std::optional<double> StrokeVolume(double edv_ml, double esv_ml);
std::optional<double> EjectionFraction(double edv_ml, double esv_ml);
// Fractional shortening (LVIDd − LVIDs) / LVIDd × 100 %.
std::optional<double> FractionalShortening(double lvidd_cm, double lvids_cm);

// A formula as templates name it: its parameters (all required unless listed
// as optional) and its evaluator over parameter → value.
struct Formula {
  std::string name;                   // "bsa_mosteller"
  std::string title;                  // "Mosteller" (kept as the value's source detail)
  std::vector<std::string> required;  // parameter names
  std::vector<std::string> optional;
  std::optional<double> (*evaluate)(const std::map<std::string, double>& inputs);
};

// nullptr for an unknown name.
const Formula* FindFormula(const std::string& name);

}  // namespace systole::services::derived
