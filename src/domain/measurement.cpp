#include "domain/measurement.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace systole::domain {
namespace {

struct SrtToSct {
  const char* srt;
  const char* sct;
};

// SNOMED-RT ids (scheme "SRT") replaced by SNOMED CT ids ("SCT") in PS3.16
// since 2017; pairs as listed side by side in the PS3.16 context groups named.
constexpr SrtToSct kSrtToSct[] = {
    // Modifier concept_name names (PS3.17 Annex N.2 "Measurement Terminology Composition").
    {"G-C0E3", "363698007"},   // Finding Site
    {"G-C171", "272741003"},   // Laterality
    {"G-C036", "370129005"},   // Measurement Method
    {"G-A1F8", "106233006"},   // Topographical Modifier
    {"R-4089A", "260674002"},  // Flow Direction
    {"R-40899", "272518008"},  // Cardiac Cycle Point
    {"R-4089B", "272517003"},  // Respiratory Cycle Point
    {"G-0373", "399264008"},   // Image Mode
    // CID 12236/12241-12243 and friends: echo anatomic sites.
    {"T-32000", "80891009"},   // Heart
    {"T-32600", "87878005"},   // Left Ventricle
    {"T-32650", "13418002"},   // Left Ventricle Outflow Tract
    {"T-32500", "53085002"},   // Right Ventricle
    {"T-32300", "82471001"},   // Left Atrium
    {"T-32200", "73829009"},   // Right Atrium
    {"T-35400", "34202007"},   // Aortic Valve
    {"T-35410", "77583004"},   // Aortic Valve Ring
    {"T-35300", "91134007"},   // Mitral Valve
    {"T-35100", "46030003"},   // Tricuspid Valve
    {"T-35110", "113259005"},  // Tricuspid Annulus
    {"T-35200", "39057004"},   // Pulmonic Valve
    {"T-42000", "15825003"},   // Aorta
    {"T-39000", "76848001"},   // Pericardium
    // CID 12224 Ultrasound Image Mode.
    {"G-03A2", "399064001"},    // 2D mode
    {"G-0394", "399155008"},    // M mode
    {"G-03AC", "399009009"},    // B mode
    {"R-409E2", "261197005"},   // Doppler Color Flow
    {"R-409E3", "261198000"},   // Doppler Continuous Wave
    {"R-409E4", "261199008"},   // Doppler Pulsed
    {"P5-B0128", "439858009"},  // Tissue Doppler Imaging
    // CID 12233 Cardiac Phase.
    {"F-32010", "90892000"},   // Diastole
    {"F-32020", "111973004"},  // Systole
    {"R-FAB5C", "416190007"},  // End Diastole
    {"R-FAB5B", "416430001"},  // End Systole
    {"F-32021", "255236000"},  // Peak Systolic
    {"F-32030", "59972007"},   // Atrial Systole
    {"R-40B1C", "444392003"},  // Diastolic Rapid Inflow
    // CID 12221 Flow Direction.
    {"R-42047", "263677008"},  // Antegrade Flow
    {"R-42E61", "312004007"},  // Retrograde Flow
    {"G-0367", "397417004"},   // Regurgitant Flow
    // CID 3627 Measurement Type (Derivation).
    {"R-00317", "373098007"},  // Mean
    {"G-A437", "56851009"},    // Maximum
    {"R-404FB", "255605001"},  // Minimum
    // CID 12239 Cardiac Output Property, CID 12203, CID 12222: measurement concepts.
    {"F-32100", "82799009"},  // Cardiac Output
    {"F-32120", "90096001"},  // Stroke Volume
    {"F-32110", "54993008"},  // Cardiac Index
    {"G-037A", "399133000"},  // LV Peak Early Diastolic Tissue Velocity (e')
    {"G-038F", "399027007"},  // Cardiovascular Orifice Diameter
};

struct UnitRule {
  const char* ucum;
  const char* canonical;
  double factor;
};

constexpr UnitRule kUnits[] = {
    {"m", "cm", 100},
    {"cm", "cm", 1},
    {"mm", "cm", 0.1},
    {"m/s", "cm/s", 100},
    {"cm/s", "cm/s", 1},
    {"mm/s", "cm/s", 0.1},
    {"ml", "mL", 1},
    {"mL", "mL", 1},
    {"cm3", "mL", 1},
    {"l", "mL", 1000},
    {"L", "mL", 1000},
    {"l/min", "L/min", 1},
    {"L/min", "L/min", 1},
    {"ml/min", "L/min", 0.001},
    {"mL/min", "L/min", 0.001},
    {"ms", "ms", 1},
    {"s", "ms", 1000},
    {"cm2", "cm2", 1},
    {"mm2", "cm2", 0.01},
    {"mm[Hg]", "mm[Hg]", 1},
    {"mmHg", "mm[Hg]", 1},
    {"kPa", "mm[Hg]", 7.500616827},
    {"/min", "/min", 1},
    {"{H.B.}/min", "/min", 1},
    {"{beats}/min", "/min", 1},
    {"1/min", "/min", 1},
};

std::string FormatDecimal(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.10g", value);
  std::string text = buffer;
  if (text == "-0") text = "0";
  return text;
}

}  // namespace

Code CanonicalCode(const Code& code) {
  if (code.scheme != "SRT" && code.scheme != "SNM3") return code;
  for (const auto& pair : kSrtToSct)
    if (code.value == pair.srt) return Code{pair.sct, "SCT", code.meaning};
  return code;
}

const char* SourceName(MeasurementSource source) {
  switch (source) {
    case MeasurementSource::kDevice:
      return "device";
    case MeasurementSource::kReader:
      return "reader";
    case MeasurementSource::kAi:
      return "ai";
  }
  return "device";
}

std::optional<MeasurementSource> ParseSource(std::string_view name) {
  if (name == "device") return MeasurementSource::kDevice;
  if (name == "reader") return MeasurementSource::kReader;
  if (name == "ai") return MeasurementSource::kAi;
  return std::nullopt;
}

std::optional<Quantity> CanonicalQuantity(std::string_view value, std::string_view ucum) {
  std::string text(value);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(text.begin());
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(number)) return std::nullopt;
  for (const auto& rule : kUnits)
    if (ucum == rule.ucum) {
      if (rule.factor == 1) return Quantity{text, rule.canonical};
      return Quantity{FormatDecimal(number * rule.factor), rule.canonical};
    }
  return Quantity{text, std::string(ucum)};
}

}  // namespace systole::domain
