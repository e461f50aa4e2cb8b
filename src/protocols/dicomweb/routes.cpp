#include "protocols/dicomweb/dicomweb.h"
#include "protocols/dicomweb/internal.h"

namespace systole::dicomweb {

void AddRoutes(http::Router& router, const Services& services) {
  using domain::Level;
  services::QueryService& query = services.query;
  services::IngestService& ingest = services.ingest;
  using http::HttpRequest;
  auto search = [&query](Level level) { return [&query, level](const HttpRequest& r) { return Search(r, query, level); }; };
  auto retrieve = [&query](const HttpRequest& r) { return Retrieve(r, query); };
  auto metadata = [services](const HttpRequest& r) { return RetrieveMetadata(r, services); };
  auto store = [&ingest](const HttpRequest& r) { return Store(r, ingest); };

  const std::string s = "/dicomweb/studies/{study}", r = s + "/series/{series}", i = r + "/instances/{instance}";
  router.Add({"GET", "/dicomweb/studies", "QIDO-RS: search studies", ""}, search(Level::kStudy));
  router.Add({"GET", "/dicomweb/series", "QIDO-RS: search series", ""}, search(Level::kSeries));
  router.Add({"GET", "/dicomweb/instances", "QIDO-RS: search instances", ""}, search(Level::kInstance));
  router.Add({"GET", s + "/series", "QIDO-RS: series of a study", ""}, search(Level::kSeries));
  router.Add({"GET", s + "/instances", "QIDO-RS: instances of a study", ""}, search(Level::kInstance));
  router.Add({"GET", r + "/instances", "QIDO-RS: instances of a series", ""}, search(Level::kInstance));
  router.Add({"GET", s, "WADO-RS: retrieve a study", ""}, retrieve);
  router.Add({"GET", r, "WADO-RS: retrieve a series", ""}, retrieve);
  router.Add({"GET", i, "WADO-RS: retrieve an instance", ""}, retrieve);
  router.Add({"GET", s + "/metadata", "WADO-RS: study metadata", ""}, metadata);
  router.Add({"GET", r + "/metadata", "WADO-RS: series metadata", ""}, metadata);
  router.Add({"GET", i + "/metadata", "WADO-RS: instance metadata", ""}, metadata);
  router.Add({"GET", i + "/frames/{frames}", "WADO-RS: frames", ""},
             [services](const HttpRequest& r) { return RetrieveFrames(r, services); });
  router.Add({"GET", i + "/bulk/{tag}", "WADO-RS: bulk data", ""},
             [services](const HttpRequest& r) { return RetrieveBulk(r, services); });
  auto rendered = [services](const HttpRequest& r) { return RetrieveRendered(r, services, false); };
  auto thumbnail = [services](const HttpRequest& r) { return RetrieveRendered(r, services, true); };
  router.Add({"GET", i + "/rendered", "WADO-RS: rendered instance (first frame)", ""}, rendered);
  router.Add({"GET", i + "/frames/{frames}/rendered", "WADO-RS: rendered frame", ""}, rendered);
  router.Add({"GET", i + "/thumbnail", "WADO-RS: instance thumbnail", ""}, thumbnail);
  router.Add({"GET", r + "/thumbnail", "WADO-RS: series thumbnail", ""}, thumbnail);
  router.Add({"GET", s + "/thumbnail", "WADO-RS: study thumbnail", ""}, thumbnail);
  router.Add({"GET", "/wado", "WADO-URI", ""}, [services](const HttpRequest& r) { return WadoUri(r, services); });
  router.Add({"POST", "/dicomweb/studies", "STOW-RS: store instances", ""}, store);
  router.Add({"POST", s, "STOW-RS: store instances of a study", ""}, store);
}

}  // namespace systole::dicomweb
