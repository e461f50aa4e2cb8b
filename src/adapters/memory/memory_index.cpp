#include "adapters/memory/memory_index.h"

#include <algorithm>
#include <map>
#include <set>

namespace systole::adapters {

using domain::Attribute;
using domain::InstanceRecord;
using domain::Level;

namespace {

std::string EntityKey(const InstanceRecord& r, Level level) {
  switch (level) {
    case Level::kPatient:  // without a PatientID, name and birth date tell patients apart
      return r.Get(Attribute::PatientID) + '\x1f' + r.Get(Attribute::IssuerOfPatientID) +
             (r.Get(Attribute::PatientID).empty()
                  ? '\x1f' + r.Get(Attribute::PatientName) + '\x1f' + r.Get(Attribute::PatientBirthDate)
                  : std::string());
    case Level::kStudy: return r.Get(Attribute::StudyInstanceUID);
    case Level::kSeries: return r.Get(Attribute::SeriesInstanceUID);
    case Level::kInstance: return r.Get(Attribute::SOPInstanceUID);
  }
  return {};
}

domain::StoredInstance ToStored(const InstanceRecord& r) {
  return {r.Get(Attribute::SOPInstanceUID), r.Get(Attribute::SOPClassUID), r.Get(Attribute::TransferSyntaxUID),
          r.Get(Attribute::StudyInstanceUID), r.Get(Attribute::SeriesInstanceUID), r.blob};
}

std::string Delimited(const std::set<std::string>& values) {
  std::string out = "\\";
  for (const auto& v : values) if (!v.empty()) out += v + "\\";
  return out;
}

long long Number(const std::string& s) {
  try { return std::stoll(s); } catch (...) { return 0; }
}

}  // namespace

Result<ports::AddResult> MemoryIndex::AddInstance(const InstanceRecord& original, bool replace) {
  std::lock_guard lock(mutex_);
  InstanceRecord record = original;
  // Instances of a merged patient are filed under the survivor (as the SQLite adapter does).
  if (auto it = merged_into_.find({record.Get(Attribute::PatientID), record.Get(Attribute::IssuerOfPatientID)});
      it != merged_into_.end()) {
    record.Set(Attribute::PatientID, it->second.id);
    record.Set(Attribute::IssuerOfPatientID, it->second.issuer);
    if (auto* p = FindPatient(it->second)) {
      record.Set(Attribute::PatientName, p->name);
      record.Set(Attribute::PatientBirthDate, p->birth_date);
      record.Set(Attribute::PatientSex, p->sex);
    }
  }
  for (const auto& existing : records_) {
    if (existing.Get(Attribute::StudyInstanceUID) == record.Get(Attribute::StudyInstanceUID) &&
        EntityKey(existing, Level::kPatient) != EntityKey(record, Level::kPatient))
      return Fail(ErrorCode::kInvalidArgument, "inconsistent: study is already stored for another patient");
    if (existing.Get(Attribute::SeriesInstanceUID) == record.Get(Attribute::SeriesInstanceUID) &&
        existing.Get(Attribute::StudyInstanceUID) != record.Get(Attribute::StudyInstanceUID))
      return Fail(ErrorCode::kInvalidArgument, "inconsistent: series is already stored in another study");
  }
  for (auto& existing : records_) {
    if (existing.Get(Attribute::SOPInstanceUID) != record.Get(Attribute::SOPInstanceUID)) continue;
    auto previous = existing.blob;
    if (!replace) return ports::AddResult{ports::AddOutcome::kDuplicate, previous};
    if (existing.Get(Attribute::SeriesInstanceUID) != record.Get(Attribute::SeriesInstanceUID))
      return Fail(ErrorCode::kInvalidArgument, "inconsistent: instance is already stored in another series");
    existing = record;
    return ports::AddResult{ports::AddOutcome::kReplaced, previous};
  }
  records_.push_back(record);
  return ports::AddResult{ports::AddOutcome::kAdded, std::nullopt};
}

Status MemoryIndex::ForEachInstance(const std::function<void(const domain::StoredInstance&)>& visit) {
  std::lock_guard lock(mutex_);
  for (const auto& r : records_) visit(ToStored(r));
  return {};
}

Result<std::vector<domain::QueryRow>> MemoryIndex::Find(const domain::Query& query) {
  for (const auto& c : query.conditions)
    if (static_cast<int>(domain::Info(c.attribute).level) > static_cast<int>(query.level))
      return Fail(ErrorCode::kInvalidArgument, "condition below the query level");
  std::lock_guard lock(mutex_);
  struct Entity {
    domain::QueryRow row;
    std::set<std::string> modalities, sop_classes, studies, series;
    long long instances = 0;
  };
  std::map<std::string, Entity> entities;
  std::vector<std::string> order;
  for (const auto& r : records_) {
    auto key = EntityKey(r, query.level);
    auto [it, inserted] = entities.try_emplace(key);
    Entity& e = it->second;
    if (inserted) {
      order.push_back(key);
      for (const auto& info : domain::AllAttributes())
        if (static_cast<int>(info.level) <= static_cast<int>(query.level) && !info.derived)
          e.row[static_cast<std::size_t>(info.attribute)] = r.Get(info.attribute);
    }
    e.modalities.insert(r.Get(Attribute::Modality));
    e.sop_classes.insert(r.Get(Attribute::SOPClassUID));
    e.studies.insert(r.Get(Attribute::StudyInstanceUID));
    e.series.insert(r.Get(Attribute::SeriesInstanceUID));
    ++e.instances;
  }
  std::vector<domain::QueryRow> rows;
  for (const auto& key : order) {
    Entity& e = entities[key];
    auto set = [&](Attribute a, std::string v) { e.row[static_cast<std::size_t>(a)] = std::move(v); };
    if (query.level == Level::kPatient) {
      set(Attribute::NumberOfPatientRelatedStudies, std::to_string(e.studies.size()));
      set(Attribute::NumberOfPatientRelatedSeries, std::to_string(e.series.size()));
      set(Attribute::NumberOfPatientRelatedInstances, std::to_string(e.instances));
    }
    if (query.level == Level::kStudy) {
      set(Attribute::ModalitiesInStudy, Delimited(e.modalities));
      set(Attribute::SOPClassesInStudy, Delimited(e.sop_classes));
      set(Attribute::NumberOfStudyRelatedSeries, std::to_string(e.series.size()));
      set(Attribute::NumberOfStudyRelatedInstances, std::to_string(e.instances));
    }
    if (query.level == Level::kSeries) set(Attribute::NumberOfSeriesRelatedInstances, std::to_string(e.instances));
    bool ok = std::all_of(query.conditions.begin(), query.conditions.end(), [&](const domain::Condition& c) {
      return domain::Matches(c.attribute, c.matcher, e.row[static_cast<std::size_t>(c.attribute)]);
    });
    if (!ok) continue;
    for (auto a : {Attribute::ModalitiesInStudy, Attribute::SOPClassesInStudy}) {
      auto& v = e.row[static_cast<std::size_t>(a)];
      while (!v.empty() && v.front() == '\\') v.erase(v.begin());
      while (!v.empty() && v.back() == '\\') v.pop_back();
    }
    rows.push_back(e.row);
  }
  auto get = [](const domain::QueryRow& r, Attribute a) -> const std::string& { return r[static_cast<std::size_t>(a)]; };
  std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    switch (query.level) {
      case Level::kPatient: return get(a, Attribute::PatientName) < get(b, Attribute::PatientName);
      case Level::kStudy:
        return std::tie(get(a, Attribute::StudyDate), get(a, Attribute::StudyTime)) >
               std::tie(get(b, Attribute::StudyDate), get(b, Attribute::StudyTime));
      case Level::kSeries: return Number(get(a, Attribute::SeriesNumber)) < Number(get(b, Attribute::SeriesNumber));
      case Level::kInstance:
        return Number(get(a, Attribute::InstanceNumber)) < Number(get(b, Attribute::InstanceNumber));
    }
    return false;
  });
  if (query.offset >= rows.size()) return std::vector<domain::QueryRow>{};
  rows.erase(rows.begin(), rows.begin() + static_cast<long>(query.offset));
  if (query.limit > 0 && rows.size() > query.limit) rows.resize(query.limit);
  return rows;
}

Result<std::vector<domain::StoredInstance>> MemoryIndex::Locate(const domain::Query& query) {
  std::lock_guard lock(mutex_);
  std::vector<domain::StoredInstance> out;
  for (const auto& r : records_) {
    bool ok = std::all_of(query.conditions.begin(), query.conditions.end(), [&](const domain::Condition& c) {
      return !domain::Info(c.attribute).derived && domain::Matches(c.attribute, c.matcher, r.Get(c.attribute));
    });
    if (ok) out.push_back(ToStored(r));
  }
  return out;
}

}  // namespace systole::adapters
