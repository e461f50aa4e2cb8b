#include "protocols/fhir/internal/resource_search.h"

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "protocols/fhir/internal/ids.h"

namespace systole::fhir {
namespace {

using domain::Attribute;

template <class Item>
using Predicate = std::function<bool(const Item&)>;

template <class Item>
struct Spec {
  SearchParam info;
  std::function<Result<Predicate<Item>>(std::string_view value)> parse;
};

template <class Item>
using IdentityOf = std::function<domain::PatientIdentity(const Item&)>;

// One predicate per alternative of a comma-separated value; the item matches if any does.
template <class Item>
Result<Predicate<Item>> AnyOf(std::string_view value,
                              const std::function<Result<Predicate<Item>>(std::string_view)>& parse_one) {
  std::vector<Predicate<Item>> alternatives;
  for (const auto& alternative : SplitAlternatives(value)) {
    auto predicate = parse_one(alternative);
    if (!predicate) return std::unexpected(predicate.error());
    alternatives.push_back(std::move(*predicate));
  }
  return [alternatives](const Item& item) {
    return std::any_of(alternatives.begin(), alternatives.end(), [&](const auto& p) { return p(item); });
  };
}

template <class Item>
Spec<Item> IdSpec(std::function<std::string(const Item&)> id_of) {
  return {{"_id", "token", "Logical id"}, [id_of](std::string_view value) {
            return AnyOf<Item>(value, [id_of](std::string_view id) -> Result<Predicate<Item>> {
              return [id_of, id = std::string(id)](const Item& item) { return id_of(item) == id; };
            });
          }};
}

template <class Item>
Spec<Item> DateSpec(std::string name, std::string documentation, std::function<std::string(const Item&)> date_of) {
  return {{std::move(name), "date", std::move(documentation)},
          [date_of](std::string_view value) -> Result<Predicate<Item>> {
            DateRange range;
            SYSTOLE_RETURN_IF_ERROR(ApplyDateParam(value, range));
            return [date_of, range](const Item& item) { return range.Contains(date_of(item)); };
          }};
}

template <class Item>
Spec<Item> TokenSpec(std::string name, std::string documentation, std::function<bool(const Item&, const Token&)> match) {
  return {{std::move(name), "token", std::move(documentation)}, [match](std::string_view value) {
            return AnyOf<Item>(value, [match](std::string_view one) -> Result<Predicate<Item>> {
              return [match, token = ParseToken(one)](const Item& item) { return match(item, token); };
            });
          }};
}

// patient, subject (references) and their chained .identifier forms.
template <class Item>
void AddPatientSpecs(std::vector<Spec<Item>>& specs, IdentityOf<Item> identity_of) {
  for (std::string name : {"patient", "subject"}) {
    specs.push_back({{name, "reference", "The patient: Patient/{id} or {id}"}, [identity_of](std::string_view value) {
                       return AnyOf<Item>(value, [identity_of](std::string_view one) -> Result<Predicate<Item>> {
                         auto criterion = PatientFromReference(one);
                         if (!criterion) return std::unexpected(criterion.error());
                         return [identity_of, c = *criterion](const Item& item) { return c.Matches(identity_of(item)); };
                       });
                     }});
    specs.push_back({{name + ".identifier", "token", "Chained: the patient's identifier, system|value or value"},
                     [identity_of](std::string_view value) {
                       return AnyOf<Item>(value, [identity_of](std::string_view one) -> Result<Predicate<Item>> {
                         auto criterion = PatientFromIdentifier(one);
                         if (!criterion) return std::unexpected(criterion.error());
                         return [identity_of, c = *criterion](const Item& item) { return c.Matches(identity_of(item)); };
                       });
                     }});
  }
}

template <class Item>
std::vector<SearchParam> InfoOf(const std::vector<Spec<Item>>& specs) {
  std::vector<SearchParam> out;
  for (const auto& spec : specs) out.push_back(spec.info);
  return out;
}

// Items of `all` that every parameter accepts.
template <class Item>
Result<std::vector<Item>> Filter(std::vector<Item> all, const std::vector<Spec<Item>>& specs, const SearchRequest& request) {
  std::vector<Predicate<Item>> predicates;
  for (const auto& [name, value] : request.params) {
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const auto& s) { return s.info.name == name; });
    if (spec == specs.end()) continue;
    auto predicate = spec->parse(value);
    if (!predicate)
      return Fail(ErrorCode::kInvalidArgument, fmt::format("search parameter {}: {}", name, predicate.error().message));
    predicates.push_back(std::move(*predicate));
  }
  std::erase_if(all, [&](const Item& item) {
    return !std::all_of(predicates.begin(), predicates.end(), [&](const auto& p) { return p(item); });
  });
  return all;
}

template <class Item>
std::vector<Item> Slice(std::vector<Item>&& all, const SearchRequest& request) {
  if (request.offset >= all.size()) return {};
  const auto end = std::min(all.size(), request.offset + request.count);
  return {std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(request.offset)),
          std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end))};
}

// The single value of a parameter that can narrow the index query, if there is exactly one.
std::optional<std::string> SingleValue(const SearchRequest& request, std::initializer_list<std::string_view> names) {
  std::optional<std::string> out;
  for (const auto& [name, value] : request.params) {
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    if (out || value.find(',') != std::string::npos) return std::nullopt;
    out = value;
  }
  return out;
}

bool SameIdentity(const domain::PatientIdentity& a, const domain::PatientIdentity& b) {
  return a.id == b.id && (a.issuer == b.issuer || a.issuer.empty() || b.issuer.empty());
}

const std::string& V(const domain::QueryRow& row, Attribute a) { return row[static_cast<std::size_t>(a)]; }

domain::PatientIdentity StudyPatient(const domain::QueryRow& row) {
  return {V(row, Attribute::PatientID), V(row, Attribute::IssuerOfPatientID)};
}

// ----- specs per type

const std::vector<Spec<domain::Patient>>& PatientSpecs() {
  static const auto specs = [] {
    std::vector<Spec<domain::Patient>> s;
    s.push_back(IdSpec<domain::Patient>([](const domain::Patient& p) { return PatientLogicalId(p.identity); }));
    s.push_back(TokenSpec<domain::Patient>("identifier", "PatientID in its issuer (system|value, or value in any issuer)",
                                           [](const domain::Patient& p, const Token& t) {
                                             return p.identity.id == t.code &&
                                                    (!t.system || IssuerFromSystem(*t.system) == p.identity.issuer);
                                           }));
    s.push_back({{"name", "string", "Any part of the name, case-insensitive, starts-with"}, [](std::string_view value) {
                   return AnyOf<domain::Patient>(value, [](std::string_view one) -> Result<Predicate<domain::Patient>> {
                     auto lower = [](std::string text) {
                       std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
                       return text;
                     };
                     return [needle = lower(std::string(one)), lower](const domain::Patient& p) {
                       std::string name = lower(p.name);
                       std::replace(name.begin(), name.end(), '^', ' ');
                       std::size_t at = 0;
                       while ((at = name.find(needle, at)) != std::string::npos) {
                         if (at == 0 || name[at - 1] == ' ') return true;
                         ++at;
                       }
                       return false;
                     };
                   });
                 }});
    s.push_back(DateSpec<domain::Patient>("birthdate", "Birth date", [](const domain::Patient& p) { return p.birth_date; }));
    s.push_back(TokenSpec<domain::Patient>("gender", "male, female, other, unknown", [](const domain::Patient& p, const Token& t) {
      return PatientResource(p)["gender"] == t.code;
    }));
    return s;
  }();
  return specs;
}

const std::vector<Spec<domain::QueryRow>>& StudySpecs() {
  static const auto specs = [] {
    using Row = domain::QueryRow;
    std::vector<Spec<Row>> s;
    s.push_back(IdSpec<Row>([](const Row& r) { return V(r, Attribute::StudyInstanceUID); }));
    AddPatientSpecs<Row>(s, StudyPatient);
    s.push_back(TokenSpec<Row>("identifier", "Study Instance UID (urn:dicom:uid|urn:oid:…) or accession number",
                               [](const Row& r, const Token& t) {
                                 const auto& uid = V(r, Attribute::StudyInstanceUID);
                                 const bool uid_match = t.code == uid || t.code == "urn:oid:" + uid;
                                 if (t.system && *t.system == "urn:dicom:uid") return uid_match;
                                 return uid_match || t.code == V(r, Attribute::AccessionNumber);
                               }));
    s.push_back(TokenSpec<Row>("accession", "Accession number (Systole extension; same as identifier=value)",
                               [](const Row& r, const Token& t) { return t.code == V(r, Attribute::AccessionNumber); }));
    s.push_back(DateSpec<Row>("started", "Study date", [](const Row& r) { return V(r, Attribute::StudyDate); }));
    s.push_back(DateSpec<Row>("date", "Study date (alias of started)", [](const Row& r) { return V(r, Attribute::StudyDate); }));
    s.push_back(TokenSpec<Row>("status", "Always available for stored studies",
                               [](const Row&, const Token& t) { return t.code == "available"; }));
    s.push_back(TokenSpec<Row>("modality", "A modality in the study (DCM code, e.g. US)", [](const Row& r, const Token& t) {
      const std::string list = "\\" + V(r, Attribute::ModalitiesInStudy) + "\\";
      return !t.code.empty() && list.find("\\" + t.code + "\\") != std::string::npos;
    }));
    return s;
  }();
  return specs;
}

const std::vector<Spec<domain::ScheduledStep>>& OrderSpecs() {
  static const auto specs = [] {
    using Step = domain::ScheduledStep;
    std::vector<Spec<Step>> s;
    s.push_back(IdSpec<Step>([](const Step& step) { return EscapeId(step.accession_number); }));
    AddPatientSpecs<Step>(s, [](const Step& step) { return step.patient.identity; });
    auto accession = [](const Step& step, const Token& t) {
      return t.code == step.accession_number || (!step.placer_order_number.empty() && t.code == step.placer_order_number) ||
             (!step.filler_order_number.empty() && t.code == step.filler_order_number);
    };
    s.push_back(TokenSpec<Step>("identifier", "Accession number (or placer/filler order number)", accession));
    s.push_back(TokenSpec<Step>("accession", "Accession number (Systole extension)",
                                [](const Step& step, const Token& t) { return t.code == step.accession_number; }));
    s.push_back(TokenSpec<Step>("status", "active, completed, revoked, unknown",
                                [](const Step& step, const Token& t) { return RequestStatus(step.status) == t.code; }));
    s.push_back(DateSpec<Step>("occurrence", "Scheduled date", [](const Step& step) { return step.start_date; }));
    s.push_back(DateSpec<Step>("date", "Scheduled date (alias of occurrence)", [](const Step& step) { return step.start_date; }));
    s.push_back(TokenSpec<Step>("code", "Requested procedure code", [](const Step& step, const Token& t) {
      return step.requested_procedure_code.substr(0, step.requested_procedure_code.find('^')) == t.code;
    }));
    s.push_back(TokenSpec<Step>("modality", "Scheduled modality (Systole extension)",
                                [](const Step& step, const Token& t) { return step.modality == t.code; }));
    return s;
  }();
  return specs;
}

const std::vector<Spec<domain::ReportDocument>>& ReportSpecs() {
  static const auto specs = [] {
    using Doc = domain::ReportDocument;
    std::vector<Spec<Doc>> s;
    s.push_back(IdSpec<Doc>([](const Doc& d) { return EscapeId(d.report_id); }));
    AddPatientSpecs<Doc>(s, [](const Doc& d) { return d.patient.identity; });
    s.push_back(TokenSpec<Doc>("identifier", "Report id", [](const Doc& d, const Token& t) { return t.code == d.report_id; }));
    s.push_back(TokenSpec<Doc>("status", "final or amended",
                               [](const Doc& d, const Token& t) { return ReportStatus(d) == t.code; }));
    s.push_back(DateSpec<Doc>("date", "Study date", [](const Doc& d) { return d.study_date; }));
    s.push_back(TokenSpec<Doc>("code", "Report template id", [](const Doc& d, const Token& t) { return d.template_id == t.code; }));
    return s;
  }();
  return specs;
}

struct ObservationItem {
  const domain::ReportDocument* report;
  json resource;
};

const std::vector<Spec<ObservationItem>>& ObservationSpecs() {
  static const auto specs = [] {
    using Item = ObservationItem;
    std::vector<Spec<Item>> s;
    s.push_back(IdSpec<Item>([](const Item& o) { return o.resource["id"].get<std::string>(); }));
    AddPatientSpecs<Item>(s, [](const Item& o) { return o.report->patient.identity; });
    s.push_back(TokenSpec<Item>("code", "Observation code (system|code, e.g. http://loinc.org|18043-0)",
                                [](const Item& o, const Token& t) {
                                  for (const auto& coding : o.resource["code"].value("coding", json::array()))
                                    if (coding.value("code", "") == t.code && (!t.system || coding.value("system", "") == *t.system))
                                      return true;
                                  return false;
                                }));
    s.push_back(TokenSpec<Item>("status", "final or amended",
                                [](const Item& o, const Token& t) { return ReportStatus(*o.report) == t.code; }));
    s.push_back(DateSpec<Item>("date", "Study date", [](const Item& o) { return o.report->study_date; }));
    return s;
  }();
  return specs;
}

const std::vector<Spec<json>>& EndpointSpecs() {
  static const std::vector<Spec<json>> specs = {IdSpec<json>([](const json& e) { return e["id"].get<std::string>(); })};
  return specs;
}

// Logical id of the order behind `accession` for `patient`, "" when none.
std::string OrderIdOf(const std::vector<domain::ScheduledStep>& steps, std::string_view accession,
                      const domain::PatientIdentity& patient) {
  if (accession.empty()) return "";
  for (const auto& step : steps)
    if (step.accession_number == accession && SameIdentity(step.patient.identity, patient)) return EscapeId(accession);
  return "";
}

}  // namespace

std::vector<std::string> ResourceSearch::Types() const {
  std::vector<std::string> types = {"Patient", "ImagingStudy", "ServiceRequest", "Endpoint"};
  if (context_.reports) {
    types.push_back("DiagnosticReport");
    types.push_back("Observation");
  }
  return types;
}

const std::vector<SearchParam>* ResourceSearch::Params(std::string_view type) const {
  static const std::map<std::string, std::vector<SearchParam>, std::less<>> params = {
      {"Patient", InfoOf(PatientSpecs())},         {"ImagingStudy", InfoOf(StudySpecs())},
      {"ServiceRequest", InfoOf(OrderSpecs())},    {"Endpoint", InfoOf(EndpointSpecs())},
      {"DiagnosticReport", InfoOf(ReportSpecs())}, {"Observation", InfoOf(ObservationSpecs())}};
  const auto types = Types();
  if (std::find(types.begin(), types.end(), type) == types.end()) return nullptr;
  return &params.find(type)->second;
}

Result<SearchPage> ResourceSearch::Search(std::string_view type, const SearchRequest& request) const {
  if (!Params(type)) return Fail(ErrorCode::kNotFound, fmt::format("resource type {} is not served", type));
  if (type == "Patient") return Patients(request);
  if (type == "ImagingStudy") return Studies(request);
  if (type == "ServiceRequest") return Orders(request);
  if (type == "DiagnosticReport") return Reports(request);
  if (type == "Observation") return Observations(request);
  return Endpoints(request);
}

Result<SearchPage> ResourceSearch::Patients(const SearchRequest& request) const {
  ports::PatientLookup lookup;
  if (auto id = SingleValue(request, {"_id"})) {
    auto identity = ParsePatientLogicalId(*id);
    if (!identity) return SearchPage{};
    lookup = {identity->id, identity->issuer};
  } else if (auto identifier = SingleValue(request, {"identifier"})) {
    lookup.id = ParseToken(*identifier).code;
  }
  auto all = context_.patients.FindPatients(lookup);
  if (!all) return std::unexpected(all.error());
  auto matches = Filter(std::move(*all), PatientSpecs(), request);
  if (!matches) return std::unexpected(matches.error());
  SearchPage page{matches->size(), {}};
  for (const auto& p : Slice(std::move(*matches), request)) page.resources.push_back(PatientResource(p));
  return page;
}

Result<SearchPage> ResourceSearch::Studies(const SearchRequest& request) const {
  domain::Query query;
  query.level = domain::Level::kStudy;
  auto add = [&](Attribute attribute, const std::string& value) -> Status {
    auto matcher = domain::ParseMatcher(attribute, value);
    if (!matcher) return std::unexpected(matcher.error());
    query.conditions.push_back({attribute, *matcher});
    return {};
  };
  // Narrow the index query where one value says it all; the predicates decide exactly.
  if (auto id = SingleValue(request, {"_id"}); id && domain::ParseMatcher(Attribute::StudyInstanceUID, *id))
    SYSTOLE_RETURN_IF_ERROR(add(Attribute::StudyInstanceUID, *id));
  if (auto ref = SingleValue(request, {"patient", "subject"})) {
    if (auto c = PatientFromReference(*ref); c && c->id.find_first_of("*?\\") == std::string::npos)
      SYSTOLE_RETURN_IF_ERROR(add(Attribute::PatientID, c->id));
  } else if (auto ident = SingleValue(request, {"patient.identifier", "subject.identifier"})) {
    if (auto c = PatientFromIdentifier(*ident); c && c->id.find_first_of("*?\\") == std::string::npos)
      SYSTOLE_RETURN_IF_ERROR(add(Attribute::PatientID, c->id));
  }
  auto rows = context_.query.Find(query, request.scope);
  if (!rows) return std::unexpected(rows.error());
  auto matches = Filter(std::move(*rows), StudySpecs(), request);
  if (!matches) return std::unexpected(matches.error());
  SearchPage page{matches->size(), {}};
  auto page_rows = Slice(std::move(*matches), request);
  if (page_rows.empty()) return page;
  auto steps = context_.orders.ListSteps(false);
  if (!steps) return std::unexpected(steps.error());
  for (auto& row : page_rows) {
    StudyRows study{row, {}};
    domain::Query series_query{domain::Level::kSeries, {}, 0, 0};
    series_query.conditions.push_back(ExactCondition(Attribute::StudyInstanceUID, V(row, Attribute::StudyInstanceUID)));
    auto series = context_.query.Find(series_query);
    if (!series) return std::unexpected(series.error());
    for (auto& s : *series) {
      domain::Query instance_query = series_query;
      instance_query.level = domain::Level::kInstance;
      instance_query.conditions.push_back(ExactCondition(Attribute::SeriesInstanceUID, V(s, Attribute::SeriesInstanceUID)));
      auto instances = context_.query.Find(instance_query);
      if (!instances) return std::unexpected(instances.error());
      study.series.push_back({std::move(s), std::move(*instances)});
    }
    page.resources.push_back(
        ImagingStudyResource(study, OrderIdOf(*steps, V(row, Attribute::AccessionNumber), StudyPatient(row))));
  }
  return page;
}

Result<SearchPage> ResourceSearch::Orders(const SearchRequest& request) const {
  auto steps = context_.orders.ListSteps(false);
  if (!steps) return std::unexpected(steps.error());
  // One ServiceRequest per order (accession): its first step.
  std::vector<domain::ScheduledStep> orders;
  for (auto& step : *steps) {
    const bool seen = std::any_of(orders.begin(), orders.end(),
                                  [&](const auto& o) { return o.accession_number == step.accession_number; });
    if (!seen) orders.push_back(std::move(step));
  }
  auto matches = Filter(std::move(orders), OrderSpecs(), request);
  if (!matches) return std::unexpected(matches.error());
  SearchPage page{matches->size(), {}};
  for (const auto& step : Slice(std::move(*matches), request)) page.resources.push_back(ServiceRequestResource(step));
  return page;
}

Result<SearchPage> ResourceSearch::Reports(const SearchRequest& request) const {
  ports::ReportFilter filter;
  if (auto id = SingleValue(request, {"_id"})) filter.report_id = UnescapeId(*id).value_or(*id);
  auto reports = context_.reports->SignedReports(filter);
  if (!reports) return std::unexpected(reports.error());
  auto matches = Filter(std::move(*reports), ReportSpecs(), request);
  if (!matches) return std::unexpected(matches.error());
  SearchPage page{matches->size(), {}};
  auto page_reports = Slice(std::move(*matches), request);
  if (page_reports.empty()) return page;
  auto steps = context_.orders.ListSteps(false);
  if (!steps) return std::unexpected(steps.error());
  for (const auto& report : page_reports) {
    bool study_known = false;
    if (!report.study_instance_uid.empty()) {
      domain::Query query{domain::Level::kStudy, {}, 0, 1};
      query.conditions.push_back(ExactCondition(Attribute::StudyInstanceUID, report.study_instance_uid));
      auto found = context_.query.Find(query);
      if (!found) return std::unexpected(found.error());
      study_known = !found->empty();
    }
    page.resources.push_back(DiagnosticReportResource(report, request.base, study_known,
                                                      OrderIdOf(*steps, report.accession_number, report.patient.identity)));
  }
  return page;
}

Result<SearchPage> ResourceSearch::Observations(const SearchRequest& request) const {
  ports::ReportFilter filter;
  if (auto id = SingleValue(request, {"_id"})) {
    auto parsed = ParseObservationLogicalId(*id);
    if (!parsed) return SearchPage{};
    filter.report_id = parsed->first;
  }
  auto reports = context_.reports->SignedReports(filter);
  if (!reports) return std::unexpected(reports.error());
  std::vector<ObservationItem> items;
  for (const auto& report : *reports)
    for (auto& resource : ObservationResources(report)) items.push_back({&report, std::move(resource)});
  auto matches = Filter(std::move(items), ObservationSpecs(), request);
  if (!matches) return std::unexpected(matches.error());
  SearchPage page{matches->size(), {}};
  for (auto& item : Slice(std::move(*matches), request)) page.resources.push_back(std::move(item.resource));
  return page;
}

Result<SearchPage> ResourceSearch::Endpoints(const SearchRequest& request) const {
  auto matches = Filter(std::vector<json>{EndpointResource(request.base)}, EndpointSpecs(), request);
  if (!matches) return std::unexpected(matches.error());
  SearchPage page{matches->size(), {}};
  page.resources = Slice(std::move(*matches), request);
  return page;
}

}  // namespace systole::fhir
