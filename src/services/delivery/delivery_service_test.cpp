#include "services/delivery/delivery_service.h"

#include <gtest/gtest.h>

#include <atomic>

#include "adapters/memory/memory_delivery_queue.h"
#include "services/delivery/report_json.h"
#include "services/delivery/delivery_testing.h"

namespace systole::services {
namespace {

using namespace std::chrono_literals;

class DeliveryServiceTest : public ::testing::Test {
 protected:
  DeliveryPolicy Policy() {
    DeliveryPolicy policy;
    policy.retry_initial = 10s;
    policy.retry_max = 60s;
    policy.max_attempts = 4;
    return policy;
  }

  adapters::MemoryDeliveryQueue queue_;
  FakeClock clock_{std::chrono::sys_days{std::chrono::November / 23 / 2026}};
  domain::ReportDocument report_ = testing::SampleTteReport();
};

TEST_F(DeliveryServiceTest, TheDocumentRoundTripsThroughItsStoredForm) {
  auto back = ReportFromJson(ReportToJson(report_));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->patient.name, "Müller^Jürgen^A");
  ASSERT_EQ(back->sections.size(), 2u);
  EXPECT_EQ(back->sections[0].values[0].code.value, "18043-0");
  EXPECT_EQ(back->sections[1].values[0].flag, "H");
  ASSERT_EQ(back->addenda.size(), 1u);
  EXPECT_EQ(back->addenda[0].signature.signed_at, "2026-11-22T14:40:00Z");
  EXPECT_EQ(ReportToJson(*back), ReportToJson(report_));
  EXPECT_EQ(ReportFromJson("{not json").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(DeliveryServiceTest, TimesHaveAFixedWidthSoTheyCompareAsStrings) {
  const auto t = std::chrono::sys_days{std::chrono::November / 23 / 2026} + 1h + 2min + 3s;
  EXPECT_EQ(DeliveryTime(t), "2026-11-23T01:02:03.000Z");
  EXPECT_EQ(DeliveryTime(t + 4ms), "2026-11-23T01:02:03.004Z");
  EXPECT_LT(DeliveryTime(t + 500ms), DeliveryTime(t + 1s));
}

TEST_F(DeliveryServiceTest, BackoffDoublesUpToTheMaximum) {
  DeliveryService service(queue_, clock_, Policy());
  EXPECT_EQ(service.Backoff(1), 10s);
  EXPECT_EQ(service.Backoff(2), 20s);
  EXPECT_EQ(service.Backoff(3), 40s);
  EXPECT_EQ(service.Backoff(4), 60s);
  EXPECT_EQ(service.Backoff(30), 60s);
}

TEST_F(DeliveryServiceTest, RetriesWithBackoffUntilDeliveredOnceAndRecordsEveryAttempt) {
  DeliveryService service(queue_, clock_, Policy());
  int calls = 0;
  service.AddDestination("EHR", [&](const domain::ReportDocument& d, std::int64_t) -> SendOutcome {
    EXPECT_EQ(d.report_id, "RPT-2026-0042");
    ++calls;
    if (calls == 1) return {false, "AE", "PID-3 unknown"};
    if (calls == 2) return {false, "", "connection refused"};
    return {true, "AA", ""};
  });
  ASSERT_TRUE(service.Enqueue(report_));
  ASSERT_TRUE(service.Enqueue(report_)) << "enqueueing the same version again is harmless";
  EXPECT_EQ(*service.RunDue(), 1u);
  EXPECT_EQ(*service.RunDue(), 0u) << "not due before the backoff";
  clock_.Advance(10s);
  EXPECT_EQ(*service.RunDue(), 1u);
  clock_.Advance(19s);
  EXPECT_EQ(*service.RunDue(), 0u);
  clock_.Advance(1s);
  EXPECT_EQ(*service.RunDue(), 1u);
  clock_.Advance(1h);
  EXPECT_EQ(*service.RunDue(), 0u) << "a delivered job is never sent again";
  EXPECT_EQ(calls, 3);
  auto jobs = service.Jobs(ports::kDeliveryDelivered);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 1u);
  const auto& attempts = jobs->front().attempts;
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].ack_code, "AE");
  EXPECT_EQ(attempts[0].detail, "PID-3 unknown");
  EXPECT_EQ(attempts[0].at, "2026-11-23T00:00:00.000Z");
  EXPECT_EQ(attempts[1].detail, "connection refused");
  EXPECT_EQ(attempts[2].outcome, "delivered");
  EXPECT_EQ(attempts[2].ack_code, "AA");
}

TEST_F(DeliveryServiceTest, FailsAfterMaxAttemptsAndResendStartsAgain) {
  DeliveryService service(queue_, clock_, Policy());
  bool up = false;
  service.AddDestination("EHR", [&](const domain::ReportDocument&, std::int64_t) -> SendOutcome {
    return up ? SendOutcome{true, "AA", ""} : SendOutcome{false, "AR", "rejected"};
  });
  service.AddDestination(kArchiveDestination, [](const domain::ReportDocument&, std::int64_t) -> SendOutcome {
    return {true, "", "stored"};
  });
  ASSERT_TRUE(service.Enqueue(report_));
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(service.RunDue());
    clock_.Advance(2min);
  }
  auto failed = service.Jobs(ports::kDeliveryFailed);
  ASSERT_TRUE(failed);
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ(failed->front().destination, "EHR");
  EXPECT_EQ(failed->front().attempts.size(), 4u);
  EXPECT_EQ(service.Jobs(ports::kDeliveryDelivered)->size(), 1u) << "the archive job is independent";
  EXPECT_EQ(service.Resend(failed->front().id + 100).error().code, ErrorCode::kNotFound);
  up = true;
  ASSERT_TRUE(service.Resend(failed->front().id));
  EXPECT_EQ(*service.RunDue(), 1u);
  auto job = queue_.Get(failed->front().id);
  EXPECT_EQ(job->state, ports::kDeliveryDelivered);
  EXPECT_EQ(job->attempts.size(), 5u);
  EXPECT_EQ(service.Resend(job->id).error().code, ErrorCode::kInvalidArgument) << "only failed jobs are resent";
}

TEST_F(DeliveryServiceTest, TheWorkerDeliversInTheBackground) {
  SystemClock clock;
  DeliveryService service(queue_, clock, Policy());
  std::atomic<int> calls = 0;
  service.AddDestination("EHR", [&](const domain::ReportDocument&, std::int64_t) -> SendOutcome {
    ++calls;
    return {true, "AA", ""};
  });
  ASSERT_TRUE(service.Start());
  ASSERT_TRUE(service.Enqueue(report_));
  for (int i = 0; i < 200 && service.Jobs(ports::kDeliveryDelivered)->empty(); ++i)
    std::this_thread::sleep_for(10ms);
  service.Stop();
  EXPECT_EQ(service.Jobs(ports::kDeliveryDelivered)->size(), 1u);
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
}  // namespace systole::services
