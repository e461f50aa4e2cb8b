#include "services/reporting/derived.h"

#include <array>
#include <cmath>
#include <numbers>

namespace systole::services::derived {
namespace {

bool Positive(double v) { return std::isfinite(v) && v > 0; }

double Cube(double v) { return v * v * v; }

}  // namespace

std::optional<double> BsaMosteller(double height_cm, double weight_kg) {
  if (!Positive(height_cm) || !Positive(weight_kg)) return std::nullopt;
  return std::sqrt(height_cm * weight_kg / 3600.0);
}

std::optional<double> BsaDuBois(double height_cm, double weight_kg) {
  if (!Positive(height_cm) || !Positive(weight_kg)) return std::nullopt;
  return 0.007184 * std::pow(weight_kg, 0.425) * std::pow(height_cm, 0.725);
}

std::optional<double> Indexed(double value, double bsa_m2) {
  if (!std::isfinite(value) || value < 0 || !Positive(bsa_m2)) return std::nullopt;
  return value / bsa_m2;
}

std::optional<double> LvMassLinear(double ivsd_cm, double lvidd_cm, double pwd_cm) {
  if (!Positive(ivsd_cm) || !Positive(lvidd_cm) || !Positive(pwd_cm)) return std::nullopt;
  return 0.8 * 1.04 * (Cube(ivsd_cm + lvidd_cm + pwd_cm) - Cube(lvidd_cm)) + 0.6;
}

std::optional<double> RelativeWallThickness(double pwd_cm, double lvidd_cm) {
  if (!Positive(pwd_cm) || !Positive(lvidd_cm)) return std::nullopt;
  return 2.0 * pwd_cm / lvidd_cm;
}

std::optional<double> EOverEPrime(double e_cm_s, std::optional<double> septal_cm_s,
                                  std::optional<double> lateral_cm_s) {
  if (!Positive(e_cm_s)) return std::nullopt;
  if (septal_cm_s && !Positive(*septal_cm_s)) septal_cm_s.reset();
  if (lateral_cm_s && !Positive(*lateral_cm_s)) lateral_cm_s.reset();
  if (septal_cm_s && lateral_cm_s) return e_cm_s / ((*septal_cm_s + *lateral_cm_s) / 2.0);
  if (septal_cm_s) return e_cm_s / *septal_cm_s;
  if (lateral_cm_s) return e_cm_s / *lateral_cm_s;
  return std::nullopt;
}

std::optional<double> AvaContinuity(double lvot_diameter_cm, double lvot_vti_cm, double av_vti_cm) {
  if (!Positive(lvot_diameter_cm) || !Positive(lvot_vti_cm) || !Positive(av_vti_cm)) return std::nullopt;
  const double radius = lvot_diameter_cm / 2.0;
  return std::numbers::pi * radius * radius * lvot_vti_cm / av_vti_cm;
}

std::optional<double> PeakGradient(double velocity_cm_s) {
  if (!std::isfinite(velocity_cm_s) || velocity_cm_s < 0) return std::nullopt;
  const double v = velocity_cm_s / 100.0;
  return 4.0 * v * v;
}

std::optional<double> MeanGradient(const std::vector<double>& velocities_cm_s) {
  if (velocities_cm_s.empty()) return std::nullopt;
  double sum = 0;
  for (double v : velocities_cm_s) {
    auto g = PeakGradient(v);
    if (!g) return std::nullopt;
    sum += *g;
  }
  return sum / static_cast<double>(velocities_cm_s.size());
}

std::optional<double> StrokeVolume(double edv_ml, double esv_ml) {
  if (!Positive(edv_ml) || !std::isfinite(esv_ml) || esv_ml < 0 || esv_ml > edv_ml) return std::nullopt;
  return edv_ml - esv_ml;
}

std::optional<double> EjectionFraction(double edv_ml, double esv_ml) {
  auto sv = StrokeVolume(edv_ml, esv_ml);
  if (!sv) return std::nullopt;
  return *sv / edv_ml * 100.0;
}

std::optional<double> FractionalShortening(double lvidd_cm, double lvids_cm) {
  if (!Positive(lvidd_cm) || !std::isfinite(lvids_cm) || lvids_cm < 0 || lvids_cm > lvidd_cm) return std::nullopt;
  return (lvidd_cm - lvids_cm) / lvidd_cm * 100.0;
}

namespace {

using Inputs = std::map<std::string, double>;

std::optional<double> Opt(const Inputs& in, const char* name) {
  auto it = in.find(name);
  if (it == in.end()) return std::nullopt;
  return it->second;
}

const std::array<Formula, 12> kFormulas{{
    {"bsa_mosteller", "Mosteller", {"height", "weight"}, {},
     [](const Inputs& in) { return BsaMosteller(in.at("height"), in.at("weight")); }},
    {"bsa_dubois", "DuBois", {"height", "weight"}, {},
     [](const Inputs& in) { return BsaDuBois(in.at("height"), in.at("weight")); }},
    {"indexed", "value / BSA", {"value", "bsa"}, {},
     [](const Inputs& in) { return Indexed(in.at("value"), in.at("bsa")); }},
    {"lv_mass_linear", "ASE linear (Devereux)", {"ivsd", "lvidd", "pwd"}, {},
     [](const Inputs& in) { return LvMassLinear(in.at("ivsd"), in.at("lvidd"), in.at("pwd")); }},
    {"relative_wall_thickness", "2 x PWd / LVIDd", {"pwd", "lvidd"}, {},
     [](const Inputs& in) { return RelativeWallThickness(in.at("pwd"), in.at("lvidd")); }},
    {"e_over_e_prime", "E / average e'", {"e"}, {"septal", "lateral"},
     [](const Inputs& in) { return EOverEPrime(in.at("e"), Opt(in, "septal"), Opt(in, "lateral")); }},
    {"ava_continuity", "Continuity equation", {"lvot_diameter", "lvot_vti", "av_vti"}, {},
     [](const Inputs& in) { return AvaContinuity(in.at("lvot_diameter"), in.at("lvot_vti"), in.at("av_vti")); }},
    {"peak_gradient", "4v^2", {"velocity"}, {}, [](const Inputs& in) { return PeakGradient(in.at("velocity")); }},
    {"peak_gradient_m_s", "4v^2", {"velocity"}, {},
     [](const Inputs& in) { return PeakGradient(in.at("velocity") * 100.0); }},
    {"stroke_volume", "EDV - ESV", {"edv", "esv"}, {},
     [](const Inputs& in) { return StrokeVolume(in.at("edv"), in.at("esv")); }},
    {"ejection_fraction", "(EDV - ESV) / EDV", {"edv", "esv"}, {},
     [](const Inputs& in) { return EjectionFraction(in.at("edv"), in.at("esv")); }},
    {"fractional_shortening", "(LVIDd - LVIDs) / LVIDd", {"lvidd", "lvids"}, {},
     [](const Inputs& in) { return FractionalShortening(in.at("lvidd"), in.at("lvids")); }},
}};

}  // namespace

const Formula* FindFormula(const std::string& name) {
  for (const auto& f : kFormulas)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace systole::services::derived
