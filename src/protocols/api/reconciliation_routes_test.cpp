#include "protocols/api/reconciliation_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/memory/memory_index.h"
#include "adapters/memory/memory_reconciliation.h"

namespace systole::api {
namespace {

using nlohmann::json;

class ReconciliationRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    domain::ScheduledStep step;
    step.accession_number = step.step_id = "ACC1";
    step.patient = {{"P1", "HOSP"}, "Doe^Jane", "19700101", "F"};
    step.indication = "Chest pain";
    ASSERT_TRUE(orders_.UpsertStep(step));
    const domain::Patient stranger{{"TMP1", ""}, "Unknown", "", ""};
    store_.FileStudy("1.2.3", stranger);
    ASSERT_TRUE(recon_.StudyStored("1.2.3", stranger, ""));
    AddReconciliationRoutes(router_, recon_);
  }
  http::HttpResponse Call(std::string method, std::string path, std::string body = "") {
    http::HttpRequest request;
    request.method = std::move(method);
    if (auto q = path.find('?'); q != std::string::npos) {  // the server splits the query off
      const std::string pair = path.substr(q + 1);
      request.query.emplace_back(pair.substr(0, pair.find('=')), pair.substr(pair.find('=') + 1));
      path.resize(q);
    }
    request.path = std::move(path);
    request.body = std::move(body);
    request.user = "alice";
    return router_.Dispatch(request);
  }

  adapters::MemoryIndex orders_;
  adapters::MemoryReconciliation store_;
  services::ReconciliationService recon_{store_, orders_};
  http::Router router_;
};

TEST_F(ReconciliationRoutesTest, ListsOrphansAndLinksOneAsTheRequestUser) {
  auto orphans = Call("GET", "/api/admin/orphans");
  ASSERT_EQ(orphans.status, 200);
  auto list = json::parse(orphans.body)["orphans"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["study_instance_uid"], "1.2.3");
  EXPECT_EQ(list[0]["header_patient"]["id"], "TMP1");

  auto linked = Call("POST", "/api/admin/orphans/1.2.3/link", R"({"accession": "ACC1"})");
  ASSERT_EQ(linked.status, 200) << linked.body;
  auto record = json::parse(linked.body);
  EXPECT_EQ(record["state"], "linked");
  EXPECT_EQ(record["order"]["indication"], "Chest pain");
  EXPECT_EQ(json::parse(Call("GET", "/api/studies/1.2.3/reconciliation").body)["state"], "linked");

  auto log = json::parse(Call("GET", "/api/admin/reconciliation-log?limit=1").body)["actions"];
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["user"], "alice");
  EXPECT_EQ(log[0]["action"], "link");
  EXPECT_EQ(log[0]["before"]["state"], "orphan");
  EXPECT_EQ(log[0]["after"]["state"], "linked");
}

TEST_F(ReconciliationRoutesTest, BadRequestsGetPreciseStatuses) {
  EXPECT_EQ(Call("POST", "/api/admin/orphans/1.2.3/link", "not json").status, 400);
  EXPECT_EQ(Call("POST", "/api/admin/orphans/1.2.3/link", R"({"accession": 5})").status, 400);
  EXPECT_EQ(Call("POST", "/api/admin/orphans/1.2.3/link", R"({})").status, 400);
  EXPECT_EQ(Call("POST", "/api/admin/orphans/1.2.3/link", R"({"accession": "NOPE"})").status, 404);
  EXPECT_EQ(Call("POST", "/api/admin/orphans/9.9/link", R"({"accession": "ACC1"})").status, 404);
  EXPECT_EQ(Call("POST", "/api/admin/orphans/x'y/link", R"({"accession": "ACC1"})").status, 400);
  EXPECT_EQ(Call("POST", "/api/admin/studies/1.2.3/correct-patient", R"({"name": "A"})").status, 400);
  EXPECT_EQ(Call("POST", "/api/admin/studies/1.2.3/correct-patient", R"({"id": "P", "birth_date": "1970"})").status, 400);
  EXPECT_EQ(Call("POST", "/api/admin/mismatches/1.2.3/resolve", R"({"action": "merge"})").status, 400);
  EXPECT_EQ(Call("GET", "/api/admin/reconciliation-log?limit=x").status, 400);
  EXPECT_EQ(Call("GET", "/api/studies/9.9/reconciliation").status, 404);
}

TEST_F(ReconciliationRoutesTest, CorrectPatientDismissAndDuplicates) {
  auto corrected = Call("POST", "/api/admin/studies/1.2.3/correct-patient",
                        R"({"id": "P7", "issuer": "HOSP", "name": "Roe^Ann", "birth_date": "19800101", "sex": "F"})");
  ASSERT_EQ(corrected.status, 200) << corrected.body;
  auto filed = store_.StudyPatient("1.2.3");
  ASSERT_TRUE(filed);
  EXPECT_EQ(filed->identity.id, "P7");
  auto dismissed = Call("POST", "/api/admin/mismatches/1.2.3/resolve", R"({"action": "dismiss"})");
  ASSERT_EQ(dismissed.status, 200) << dismissed.body;
  EXPECT_EQ(json::parse(dismissed.body)["state"], "dismissed");
  EXPECT_EQ(json::parse(Call("GET", "/api/admin/orphans").body)["orphans"].size(), 0u);

  store_.FileStudy("4.5", {{"P8", "HOSP"}, "ROE^ANN", "19800101", "F"});
  auto duplicates = json::parse(Call("GET", "/api/admin/duplicate-patients").body)["candidates"];
  ASSERT_EQ(duplicates.size(), 1u);
  EXPECT_EQ(duplicates[0]["patients"].size(), 2u);
}

}  // namespace
}  // namespace systole::api
