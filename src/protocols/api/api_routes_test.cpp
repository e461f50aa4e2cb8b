#include "protocols/api/api_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_measurement_store.h"
#include "adapters/test_records.h"

namespace systole::api {
namespace {

class MeasurementRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(index_.AddInstance(adapters::contract::MakeRecord("P1", "1.2", "1.2.9", "1.2.9.1", "SR"), false));
    domain::Measurement a;
    a.sr_sop_instance_uid = "1.2.9.1";
    a.study_instance_uid = "1.2";
    a.concept_name = {"G-037A", "SRT", "e'"};
    a.canonical_concept = {"399133000", "SCT", ""};
    a.value = "0.09";
    a.unit = {"m/s", "UCUM", "m/s"};
    a.canonical_value = "9";
    a.canonical_unit = "cm/s";
    a.image = domain::ImageReference{"1.2.840.10008.5.1.4.1.1.3.1", "1.2.9.2", "12\\13"};
    domain::Measurement mean = a;
    mean.ordinal = 1;
    mean.concept_name = {"399133000", "SCT", "e' (SCT)"};
    mean.value = "8.5";
    mean.unit = {"cm/s", "UCUM", "cm/s"};
    mean.canonical_value = "8.5";
    mean.derivation = domain::Code{"373098007", "SCT", "Mean"};
    mean.image.reset();
    domain::Measurement none;
    none.sr_sop_instance_uid = "1.2.9.1";
    none.study_instance_uid = "1.2";
    none.ordinal = 2;
    none.concept_name = none.canonical_concept = {"18087-7", "LN", "Left Ventricle Mass"};
    none.qualifier = domain::Code{"114006", "DCM", "Measurement failure"};
    ASSERT_TRUE(store_.ReplaceMeasurements("1.2.9.1", {a, mean, none}));
    AddRoutes(router_, {service_});
  }

  http::HttpResponse Get(const std::string& path) {
    http::HttpRequest request;
    request.method = "GET";
    request.path = path;
    return router_.Dispatch(request);
  }

  adapters::MemoryIndex index_;
  adapters::MemoryMeasurementStore store_;
  services::MeasurementService service_{store_, index_};
  http::Router router_;
};

TEST_F(MeasurementRoutesTest, ListsFoldedMeasurementsAsJson) {
  auto response = Get("/api/studies/1.2/measurements");
  ASSERT_EQ(response.status, 200) << response.body;
  auto body = nlohmann::json::parse(response.body);
  auto& list = body.at("measurements");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["concept"]["code"], "399133000");
  EXPECT_EQ(list[0]["concept"]["scheme"], "SCT");
  EXPECT_EQ(list[0]["concept"]["meaning"], "e' (SCT)");
  EXPECT_EQ(list[0]["value"], "8.5");
  EXPECT_EQ(list[0]["unit"], "cm/s");
  EXPECT_EQ(list[0]["derivation"]["code"], "373098007");
  EXPECT_TRUE(list[0]["selectionStatus"].is_null());
  EXPECT_TRUE(list[0]["findingSite"].is_null());
  EXPECT_EQ(list[0]["source"], "device");
  EXPECT_EQ(list[0]["sopInstanceUID"], "1.2.9.1");
  ASSERT_EQ(list[0]["samples"].size(), 1u);
  EXPECT_EQ(list[0]["samples"][0]["value"], "0.09");
  EXPECT_EQ(list[0]["samples"][0]["canonicalValue"], "9");
  EXPECT_EQ(list[0]["samples"][0]["imageReference"]["frames"], nlohmann::json::array({12, 13}));
  EXPECT_TRUE(list[1]["value"].is_null());
  EXPECT_TRUE(list[1]["unit"].is_null());
  EXPECT_EQ(list[1]["qualifier"]["code"], "114006");
}

TEST_F(MeasurementRoutesTest, UnknownStudyIs404AndAMalformedUid400) {
  EXPECT_EQ(Get("/api/studies/1.3/measurements").status, 404);
  EXPECT_EQ(Get("/api/studies/1.2*/measurements").status, 400);
}

TEST_F(MeasurementRoutesTest, TheRouteIsInTheOpenApiDocument) {
  auto doc = nlohmann::json::parse(router_.OpenApiJson("Systole", "test"));
  EXPECT_TRUE(doc["paths"].contains("/api/studies/{StudyInstanceUID}/measurements"));
}

}  // namespace
}  // namespace systole::api
