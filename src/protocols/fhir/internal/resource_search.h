// ResourceSearch: search (and read, as _id search) over every FHIR type Systole
// serves. Each type has a table of search parameters; a parameter value is
// parsed into a predicate (comma = OR; repeated parameters = AND) and the
// matches are ordered stably (studies newest first, patients by id, orders by
// date, reports newest first) for paging. Thread-safe (reads only).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "protocols/fhir/fhir.h"
#include "protocols/fhir/internal/resources.h"
#include "protocols/fhir/internal/search_params.h"

namespace systole::fhir {

struct SearchParam {
  std::string name;
  std::string type;  // FHIR SearchParamType: token, reference, date, string
  std::string documentation;
};

struct SearchRequest {
  std::vector<std::pair<std::string, std::string>> params;  // supported ones only
  std::size_t offset = 0;
  std::size_t count = kDefaultCount;
  std::string base;  // FHIR base URL
  domain::StudyScope scope;  // the requester's (ImagingStudy searches are filtered by it)
};

struct SearchPage {
  std::size_t total = 0;
  std::vector<json> resources;
};

class ResourceSearch {
 public:
  explicit ResourceSearch(const Context& context) : context_(context) {}

  std::vector<std::string> Types() const;
  // Search parameters of `type`; nullptr for a type not served.
  const std::vector<SearchParam>* Params(std::string_view type) const;
  // kInvalidArgument for a malformed parameter value; kUnavailable on storage errors.
  Result<SearchPage> Search(std::string_view type, const SearchRequest& request) const;

 private:
  Result<SearchPage> Patients(const SearchRequest& request) const;
  Result<SearchPage> Studies(const SearchRequest& request) const;
  Result<SearchPage> Orders(const SearchRequest& request) const;
  Result<SearchPage> Reports(const SearchRequest& request) const;
  Result<SearchPage> Observations(const SearchRequest& request) const;
  Result<SearchPage> Endpoints(const SearchRequest& request) const;

  Context context_;
};

}  // namespace systole::fhir
