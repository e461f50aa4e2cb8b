// The PatientDirectory port of the in-memory fake: patients known from ADT and
// orders, plus those known only from stored instances; merged ones left out.
#include <algorithm>

#include "adapters/memory/memory_index.h"

namespace systole::adapters {

using domain::Attribute;

Result<std::vector<domain::Patient>> MemoryIndex::FindPatients(const ports::PatientLookup& lookup) {
  std::lock_guard lock(mutex_);
  std::vector<domain::Patient> all = patients_;
  for (const auto& r : records_) {
    domain::Patient p{{r.Get(Attribute::PatientID), r.Get(Attribute::IssuerOfPatientID)},
                      r.Get(Attribute::PatientName), r.Get(Attribute::PatientBirthDate), r.Get(Attribute::PatientSex)};
    const bool known = std::any_of(all.begin(), all.end(), [&](const domain::Patient& q) {
      return q.identity.id == p.identity.id && q.identity.issuer == p.identity.issuer;
    });
    if (!known) all.push_back(std::move(p));
  }
  std::vector<domain::Patient> out;
  for (auto& p : all) {
    if (p.identity.id.empty() || merged_into_.contains({p.identity.id, p.identity.issuer})) continue;
    if (!lookup.id.empty() && p.identity.id != lookup.id) continue;
    if (lookup.issuer && p.identity.issuer != *lookup.issuer) continue;
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const domain::Patient& a, const domain::Patient& b) {
    return std::tie(a.identity.id, a.identity.issuer) < std::tie(b.identity.id, b.identity.issuer);
  });
  return out;
}

}  // namespace systole::adapters
