// /fhir and /launch over the in-memory index and a fake report catalog.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/memory/memory_blob_store.h"
#include "adapters/memory/memory_index.h"
#include "adapters/test_records.h"
#include "protocols/fhir/fhir.h"
#include "protocols/fhir/internal/sample_report.h"

namespace systole::fhir {
namespace {

using adapters::contract::MakeRecord;
using domain::Attribute;
using nlohmann::json;

class FakeReportCatalog final : public ports::ReportCatalog {
 public:
  std::vector<domain::ReportDocument> reports;
  Result<std::vector<domain::ReportDocument>> SignedReports(const ports::ReportFilter& filter) override {
    std::vector<domain::ReportDocument> out;
    for (const auto& r : reports)
      if (filter.report_id.empty() || filter.report_id == r.report_id) out.push_back(r);
    return out;
  }
};

class FhirRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // P1: three studies on three dates (1.2.3.1 has an order); P2: one study.
    for (int i = 1; i <= 3; ++i) {
      auto r = MakeRecord("P1", "1.2.3." + std::to_string(i), "1.2.3." + std::to_string(i) + ".1",
                          "1.2.3." + std::to_string(i) + ".1.1");
      r.Set(Attribute::StudyDate, "2024030" + std::to_string(i));
      ASSERT_TRUE(index_.AddInstance(r, false));
    }
    ASSERT_TRUE(index_.AddInstance(MakeRecord("P2", "1.2.4.9", "1.2.4.9.1", "1.2.4.9.1.1"), false));
    ASSERT_TRUE(index_.UpsertPatient({{"P9", "HOSP_A"}, "ROE^ANN", "19700101", "F"}, true));
    ASSERT_TRUE(index_.UpsertPatient({{"P9", "HOSP_B"}, "ROE^BOB", "19710101", "M"}, true));
    domain::ScheduledStep step;
    step.patient.identity = {"P1", ""};
    step.accession_number = "ACC1";
    step.step_id = "S1";
    step.requested_procedure_code = "ECHO^Echo TTE^L";
    step.indication = "Dyspnea";
    step.requesting_physician = "HOUSE^GREGORY";
    step.start_date = "20240301";
    ASSERT_TRUE(index_.UpsertStep(step));
    catalog_.reports.push_back(SampleReport());
    Context context{query_, index_, index_, &catalog_};
    AddRoutes(router_, context);
    AddLaunchRoutes(router_, context);
  }

  http::HttpResponse Get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::HttpRequest request;
    request.method = "GET";
    const auto q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string rest = target.substr(q + 1);
      std::size_t start = 0;
      while (start <= rest.size()) {
        auto end = rest.find('&', start);
        if (end == std::string::npos) end = rest.size();
        auto pair = rest.substr(start, end - start);
        auto eq = pair.find('=');
        request.query.emplace_back(http::PercentDecode(pair.substr(0, eq), true),
                                   eq == std::string::npos ? "" : http::PercentDecode(pair.substr(eq + 1), true));
        start = end + 1;
      }
    }
    request.headers["host"] = "pacs.test";
    for (auto& [name, value] : headers) request.headers[name] = value;
    return router_.Dispatch(request);
  }

  json GetJson(const std::string& target, int expected_status = 200) {
    auto response = Get(target);
    EXPECT_EQ(response.status, expected_status) << target << "\n" << response.body;
    return json::parse(response.body);
  }

  static std::string Location(const http::HttpResponse& r) {
    for (const auto& [name, value] : r.headers)
      if (name == "Location") return value;
    return "";
  }

  adapters::MemoryIndex index_;
  adapters::MemoryBlobStore blobs_;
  services::QueryService query_{index_, blobs_, 0};
  FakeReportCatalog catalog_;
  http::Router router_;
};

TEST_F(FhirRoutesTest, MetadataListsTypesAndSearchParameters) {
  auto cs = GetJson("/fhir/metadata");
  EXPECT_EQ(cs["resourceType"], "CapabilityStatement");
  EXPECT_EQ(cs["fhirVersion"], "4.0.1");
  std::set<std::string> types;
  for (const auto& r : cs["rest"][0]["resource"]) types.insert(r["type"]);
  EXPECT_EQ(types, (std::set<std::string>{"Patient", "ImagingStudy", "ServiceRequest", "Endpoint", "DiagnosticReport",
                                          "Observation"}));
  EXPECT_EQ(Get("/fhir/metadata").headers.front().second.substr(0, 21), "application/fhir+json");
}

TEST_F(FhirRoutesTest, PatientSearchByIdentifierAndRead) {
  auto bundle = GetJson("/fhir/Patient?identifier=urn:systole:issuer:HOSP_A|P9");
  ASSERT_EQ(bundle["total"], 1);
  const auto& patient = bundle["entry"][0]["resource"];
  EXPECT_EQ(patient["id"], "P9.HOSP-5FA");
  EXPECT_EQ(patient["name"][0]["family"], "ROE");
  EXPECT_EQ(patient["gender"], "female");
  EXPECT_EQ(patient["birthDate"], "1970-01-01");
  EXPECT_EQ(GetJson("/fhir/Patient?identifier=P9")["total"], 2);
  EXPECT_EQ(GetJson("/fhir/Patient/P9.HOSP-5FB")["name"][0]["given"][0], "BOB");
  EXPECT_EQ(GetJson("/fhir/Patient/nobody", 404)["resourceType"], "OperationOutcome");
}

TEST_F(FhirRoutesTest, ImagingStudyHasSeriesInstancesEndpointAndOrder) {
  auto study = GetJson("/fhir/ImagingStudy/1.2.3.1");
  EXPECT_EQ(study["status"], "available");
  EXPECT_EQ(study["subject"]["reference"], "Patient/P1");
  EXPECT_EQ(study["started"], "2024-03-01");
  EXPECT_EQ(study["identifier"][0]["value"], "urn:oid:1.2.3.1");
  EXPECT_EQ(study["identifier"][1]["type"]["coding"][0]["code"], "ACSN");
  EXPECT_EQ(study["basedOn"][0]["reference"], "ServiceRequest/ACC1");
  EXPECT_EQ(study["series"][0]["instance"][0]["uid"], "1.2.3.1.1.1");
  EXPECT_EQ(study["series"][0]["modality"]["code"], "US");
  EXPECT_EQ(study["endpoint"][0]["reference"], "Endpoint/dicomweb");
  EXPECT_EQ(GetJson("/fhir/Endpoint/dicomweb")["address"], "http://pacs.test/dicomweb");
  EXPECT_FALSE(GetJson("/fhir/ImagingStudy/1.2.3.2").contains("basedOn"));
}

TEST_F(FhirRoutesTest, ImagingStudySearchPagesWithLinksToTheEnd) {
  std::string next = "/fhir/ImagingStudy?patient.identifier=P1&_count=2";
  std::vector<std::string> ids;
  int pages = 0;
  while (!next.empty()) {
    auto bundle = GetJson(next);
    EXPECT_EQ(bundle["total"], 3);
    for (const auto& e : bundle.value("entry", json::array())) ids.push_back(e["resource"]["id"]);
    next.clear();
    for (const auto& link : bundle["link"])
      if (link["relation"] == "next") next = link["url"].get<std::string>().substr(std::string("http://pacs.test").size());
    ++pages;
  }
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(ids, (std::vector<std::string>{"1.2.3.3", "1.2.3.2", "1.2.3.1"}));
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?patient=Patient/P1&date=ge2024-03-02")["total"], 2);
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?patient=P1&date=lt2024-03-02")["total"], 1);
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?identifier=ACC1")["total"], 1);
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?identifier=urn:dicom:uid|urn:oid:1.2.4.9")["total"], 1);
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?modality=US&status=available")["total"], 4);
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?modality=MR")["total"], 0);
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?patient.identifier=urn:oid:1.2.3|P1")["total"], 0);
}

TEST_F(FhirRoutesTest, ServiceRequestFromTheScheduledStep) {
  auto bundle = GetJson("/fhir/ServiceRequest?identifier=ACC1");
  ASSERT_EQ(bundle["total"], 1);
  const auto& sr = bundle["entry"][0]["resource"];
  EXPECT_EQ(sr["status"], "active");
  EXPECT_EQ(sr["intent"], "order");
  EXPECT_EQ(sr["code"]["coding"][0]["code"], "ECHO");
  EXPECT_EQ(sr["reasonCode"][0]["text"], "Dyspnea");
  EXPECT_EQ(sr["requester"]["display"], "GREGORY HOUSE");
  EXPECT_EQ(sr["occurrenceDateTime"], "2024-03-01");
  EXPECT_EQ(GetJson("/fhir/ServiceRequest?status=revoked")["total"], 0);
}

TEST_F(FhirRoutesTest, DiagnosticReportAndObservationsFromTheCatalog) {
  auto bundle = GetJson("/fhir/DiagnosticReport?patient=P1");
  ASSERT_EQ(bundle["total"], 1);
  const auto& dr = bundle["entry"][0]["resource"];
  EXPECT_EQ(dr["status"], "amended");
  EXPECT_EQ(dr["code"]["coding"][0]["code"], "tte");
  EXPECT_EQ(dr["imagingStudy"][0]["reference"], "ImagingStudy/1.2.3.1");
  EXPECT_EQ(dr["presentedForm"][0]["url"], "http://pacs.test/api/reports/rep-1/pdf");
  EXPECT_NE(dr["conclusion"].get<std::string>().find("Corrected TAPSE"), std::string::npos);
  ASSERT_EQ(dr["result"].size(), 4u);
  auto ef = GetJson("/fhir/" + dr["result"][0]["reference"].get<std::string>());
  EXPECT_EQ(ef["code"]["coding"][0]["system"], "http://loinc.org");
  EXPECT_EQ(ef["valueQuantity"]["value"], 48);
  EXPECT_EQ(ef["valueQuantity"]["system"], "http://unitsofmeasure.org");
  EXPECT_EQ(ef["referenceRange"][0]["low"]["value"], 52);
  EXPECT_EQ(ef["interpretation"][0]["coding"][0]["code"], "L");
  EXPECT_EQ(GetJson("/fhir/" + dr["result"][1]["reference"].get<std::string>())["valueString"], "sinus");
  EXPECT_EQ(GetJson("/fhir/Observation?code=http://loinc.org|10230-1")["total"], 1);
  auto mr = GetJson("/fhir/" + dr["result"][2]["reference"].get<std::string>());
  EXPECT_EQ(mr["valueCodeableConcept"]["coding"][0]["system"], "http://snomed.info/sct");
  auto rate = GetJson("/fhir/" + dr["result"][3]["reference"].get<std::string>());
  EXPECT_EQ(rate["referenceRange"][0]["high"]["value"], 100);
  EXPECT_FALSE(rate["referenceRange"][0].contains("low"));
  EXPECT_EQ(rate["interpretation"][0]["coding"][0]["code"], "H");
}

TEST_F(FhirRoutesTest, ErrorsAreOperationOutcomesWithTheRightStatus) {
  EXPECT_EQ(GetJson("/fhir/Medication", 404)["issue"][0]["code"], "not-supported");
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?date=soon", 400)["issue"][0]["code"], "invalid");
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?_count=many", 400)["resourceType"], "OperationOutcome");
  EXPECT_EQ(GetJson("/fhir/ImagingStudy?patient=Group/1", 400)["resourceType"], "OperationOutcome");
  EXPECT_EQ(GetJson("/fhir/ImagingStudy/9.9.9", 404)["issue"][0]["code"], "not-found");
  EXPECT_EQ(Get("/fhir/Patient?_format=xml").status, 406);
  auto lenient = GetJson("/fhir/Patient?identifier=P9&shoe-size=42");
  EXPECT_EQ(lenient["total"], 2);
  EXPECT_EQ(lenient["entry"].back()["search"]["mode"], "outcome");
  EXPECT_EQ(lenient["link"][0]["url"].get<std::string>().find("shoe"), std::string::npos);
  EXPECT_EQ(Get("/fhir/Patient?shoe-size=42", {{"prefer", "handling=strict"}}).status, 400);
}

TEST_F(FhirRoutesTest, LaunchOpensTheRightStudyOrRefuses) {
  auto one = Get("/launch?patient=P2");
  EXPECT_EQ(one.status, 302);
  EXPECT_EQ(Location(one), "/viewer/1.2.4.9");
  auto several = Get("/launch?patient=P1&issuer=");
  EXPECT_EQ(several.status, 302);
  EXPECT_EQ(Location(several), "/studies?patientId=P1&issuer=");
  EXPECT_EQ(Location(Get("/launch?patient=P1&accession=ACC2")), "/viewer/1.2.3.2");
  EXPECT_EQ(Location(Get("/launch?patient.identifier=P1&accession=ACC3")), "/viewer/1.2.3.3");
  EXPECT_EQ(Get("/launch?patient=NOPE").status, 404);
  EXPECT_EQ(Get("/launch?patient=P1&accession=NOPE").status, 404);
  auto other = Get("/launch?patient=P2&accession=ACC1");
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(other.body.find("1.2.3.1"), std::string::npos);
  EXPECT_EQ(Get("/launch?patient=P9").status, 409);
  EXPECT_EQ(Get("/launch?patient=P9&issuer=HOSP_A").status, 404);  // known, but no studies
  EXPECT_EQ(Get("/launch").status, 400);
  EXPECT_EQ(Get("/launch?patient=%3Cscript%3E").body.find("<script>"), std::string::npos);
}

}  // namespace
}  // namespace systole::fhir
