// Auto-population: filling a report's fields from what is known about its
// study — folded SR measurements (through the concept map, converted to the
// field's unit), DICOM header and order metadata — then the derived values
// and the narrative. Pure functions over the working copy; the service does
// the I/O.
//
// Rules (issue 5): a value keeps its source and detail; a value the reader
// typed (or cleared) is never overwritten; when a refill changes a value that
// came from elsewhere, the field says so in its note.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "services/measurements/measurement_service.h"
#include "services/reporting/concept_map.h"
#include "services/reporting/report_model.h"
#include "services/reporting/report_template.h"

namespace systole::services {

// Height and weight from a stored object's header (PatientSize in m, PatientWeight in kg).
struct PatientBody {
  std::optional<double> height_m;
  std::optional<double> weight_kg;
  std::string sop_instance_uid;  // the object they were read from
};

struct StudyFacts {
  ReportContext context;
  PatientBody body;
  std::vector<FoldedMeasurement> measurements;  // oldest SR first: later values win
};

// Whole years between DA `birth_date` and DA `on_date`; nullopt if either is malformed.
std::optional<int> AgeInYears(const std::string& birth_date, const std::string& on_date);

// `value` in `from` expressed in `to` (same dimension, UCUM); nullopt when unknown.
std::optional<double> ConvertUnit(double value, const std::string& from, const std::string& to);

// The number formatted with the field's decimals ("55", "1.92").
std::string FormatNumber(double value, int decimals);

// Fills the report's metadata and measurement fields from `facts`. `refresh`
// false: a new report (no notes); true: a later re-read, where changed values
// get a note. Returns true if any field changed.
bool Populate(const ReportTemplate& tmpl, const ConceptMap& map, const StudyFacts& facts, bool refresh, Report& report);

// Recomputes every derived field whose value was not typed by the reader (and
// clears derived values whose inputs are gone). Returns true if any changed.
bool ApplyDerivations(const ReportTemplate& tmpl, Report& report);

// "L", "H" or "" for a number field's value against its range for `sex`.
std::string Flag(const TemplateField& field, const std::string& value, const std::string& sex);

// The narrative from the sentence rules, one paragraph per section, fields in template order.
std::string Narrative(const ReportTemplate& tmpl, const Report& report);

}  // namespace systole::services
