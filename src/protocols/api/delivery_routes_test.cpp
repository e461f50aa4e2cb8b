#include "protocols/api/delivery_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/memory/memory_delivery_queue.h"
#include "services/delivery/delivery_testing.h"

namespace systole::api {
namespace {

using nlohmann::json;

// The smallest ReportCatalog: a fixed list of signed versions.
class FixedReportCatalog final : public ports::ReportCatalog {
 public:
  std::vector<domain::ReportDocument> reports;
  Result<std::vector<domain::ReportDocument>> SignedReports(const ports::ReportFilter& filter) override {
    std::vector<domain::ReportDocument> out;
    for (const auto& r : reports)
      if (filter.report_id.empty() || r.report_id == filter.report_id) out.push_back(r);
    return out;
  }
};

class DeliveryRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_.reports.push_back(services::testing::SampleTteReport());
    service_.AddDestination("EHR", [this](const domain::ReportDocument&, std::int64_t) -> services::SendOutcome {
      return ehr_up_ ? services::SendOutcome{true, "AA", ""} : services::SendOutcome{false, "AR", "rejected"};
    });
    service_.AddDestination("archive", [](const domain::ReportDocument&, std::int64_t) -> services::SendOutcome {
      return {true, "", "stored"};
    });
    AddDeliveryRoutes(router_, {service_, &catalog_, {}});
  }

  http::HttpResponse Call(std::string method, std::string path, std::vector<std::pair<std::string, std::string>> query = {}) {
    http::HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.query = std::move(query);
    return router_.Dispatch(request);
  }

  adapters::MemoryDeliveryQueue queue_;
  FakeClock clock_{std::chrono::sys_days{std::chrono::November / 23 / 2026}};
  services::DeliveryService service_{queue_, clock_, {std::chrono::seconds(1), std::chrono::seconds(1), 2}};
  FixedReportCatalog catalog_;
  bool ehr_up_ = false;
  http::Router router_;
};

TEST_F(DeliveryRoutesTest, ListsJobsByStateWithTheirAttemptsAndResendsAFailedOne) {
  ASSERT_TRUE(service_.Enqueue(services::testing::SampleTteReport()));
  ASSERT_TRUE(service_.RunDue());
  clock_.Advance(std::chrono::seconds(2));
  ASSERT_TRUE(service_.RunDue());

  auto failed = Call("GET", "/api/deliveries", {{"state", "failed"}});
  ASSERT_EQ(failed.status, 200) << failed.body;
  auto body = json::parse(failed.body);
  ASSERT_EQ(body["deliveries"].size(), 1u);
  const auto& job = body["deliveries"][0];
  EXPECT_EQ(job["destination"], "EHR");
  EXPECT_EQ(job["reportId"], "RPT-2026-0042");
  EXPECT_EQ(job["version"], 2);
  ASSERT_EQ(job["attempts"].size(), 2u);
  EXPECT_EQ(job["attempts"][0]["ackCode"], "AR");
  EXPECT_EQ(job["attempts"][0]["detail"], "rejected");
  EXPECT_EQ(json::parse(Call("GET", "/api/deliveries", {{"state", "delivered"}}).body)["deliveries"].size(), 1u);
  EXPECT_EQ(json::parse(Call("GET", "/api/deliveries").body)["deliveries"].size(), 2u);
  EXPECT_EQ(Call("GET", "/api/deliveries", {{"state", "lost"}}).status, 400);

  const std::string id = std::to_string(job["id"].get<std::int64_t>());
  EXPECT_EQ(Call("POST", "/api/deliveries/abc/resend").status, 400);
  EXPECT_EQ(Call("POST", "/api/deliveries/9999/resend").status, 404);
  auto resent = Call("POST", "/api/deliveries/" + id + "/resend");
  ASSERT_EQ(resent.status, 200) << resent.body;
  EXPECT_EQ(json::parse(resent.body)["state"], "pending");
  EXPECT_EQ(Call("POST", "/api/deliveries/" + id + "/resend").status, 409) << "pending, not failed";
  ehr_up_ = true;
  ASSERT_TRUE(service_.RunDue());
  auto delivered = json::parse(Call("GET", "/api/deliveries", {{"state", "delivered"}}).body);
  EXPECT_EQ(delivered["deliveries"].size(), 2u);
}

TEST_F(DeliveryRoutesTest, ServesThePdfOfTheLatestSignedVersion) {
  auto pdf = Call("GET", "/api/reports/RPT-2026-0042/pdf");
  ASSERT_EQ(pdf.status, 200) << pdf.body;
  EXPECT_TRUE(pdf.body.starts_with("%PDF-"));
  bool typed = false;
  for (const auto& [name, value] : pdf.headers) typed |= name == "Content-Type" && value == "application/pdf";
  EXPECT_TRUE(typed);
  EXPECT_EQ(Call("GET", "/api/reports/NOPE/pdf").status, 404);
}

}  // namespace
}  // namespace systole::api
