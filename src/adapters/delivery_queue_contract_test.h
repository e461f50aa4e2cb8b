// The contract every ports::DeliveryQueue adapter passes: include this header
// in an adapter's test and instantiate it with a factory that makes an empty queue.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, DeliveryQueueContractTest, ::testing::Values(&MakeSqlite));
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "ports/delivery_queue.h"

namespace systole::adapters::contract {

using DeliveryQueueFactory = std::shared_ptr<ports::DeliveryQueue> (*)();

class DeliveryQueueContractTest : public ::testing::TestWithParam<DeliveryQueueFactory> {
 protected:
  void SetUp() override { queue_ = GetParam()(); }

  std::int64_t Add(const std::string& destination, const std::string& due, int version = 1) {
    ports::DeliveryJob job;
    job.report_id = "R1";
    job.version = version;
    job.destination = destination;
    job.document = R"({"report_id":"R1"})";
    job.created_at = "2026-11-23T01:00:00.000Z";
    job.next_attempt_at = due;
    auto id = queue_->Enqueue(job);
    EXPECT_TRUE(id) << id.error().message;
    return id.value_or(0);
  }

  std::shared_ptr<ports::DeliveryQueue> queue_;
};

TEST_P(DeliveryQueueContractTest, EnqueueIsIdempotentPerVersionAndDestination) {
  auto a = Add("archive", "2026-11-23T01:00:00.000Z");
  EXPECT_EQ(Add("archive", "2026-11-23T02:00:00.000Z"), a);
  EXPECT_NE(Add("EHR", "2026-11-23T01:00:00.000Z"), a);
  EXPECT_NE(Add("archive", "2026-11-23T01:00:00.000Z", 2), a);
  auto all = queue_->List("", 100);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 3u);
  auto job = queue_->Get(a);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->document, R"({"report_id":"R1"})");
  EXPECT_EQ(job->state, ports::kDeliveryPending);
  EXPECT_EQ(job->next_attempt_at, "2026-11-23T01:00:00.000Z");
}

TEST_P(DeliveryQueueContractTest, ClaimTakesOnlyDueJobsEarliestFirstAndOnce) {
  auto later = Add("EHR", "2026-11-23T01:00:05.000Z");
  auto first = Add("archive", "2026-11-23T01:00:01.000Z");
  auto none = queue_->Claim("2026-11-23T01:00:00.500Z");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto claimed = queue_->Claim("2026-11-23T01:00:10.000Z");
  ASSERT_TRUE(claimed && claimed->has_value());
  EXPECT_EQ((*claimed)->id, first);
  EXPECT_EQ((*claimed)->state, ports::kDeliveryInFlight);
  auto second = queue_->Claim("2026-11-23T01:00:10.000Z");
  ASSERT_TRUE(second && second->has_value());
  EXPECT_EQ((*second)->id, later);
  auto empty = queue_->Claim("2026-11-23T01:00:10.000Z");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->has_value());
}

TEST_P(DeliveryQueueContractTest, FinishRecordsEveryAttemptAndTheState) {
  auto id = Add("EHR", "2026-11-23T01:00:00.000Z");
  ASSERT_TRUE(queue_->Claim("2026-11-23T01:00:00.000Z"));
  ASSERT_TRUE(queue_->Finish(id, {"2026-11-23T01:00:00.100Z", "error", "AE", "bad PID"}, ports::kDeliveryPending,
                             "2026-11-23T01:00:30.100Z"));
  EXPECT_FALSE(queue_->Finish(id, {"t", "error", "", "x"}, ports::kDeliveryPending, "t"))
      << "a pending job is not in flight";
  auto early = queue_->Claim("2026-11-23T01:00:30.000Z");
  ASSERT_TRUE(early);
  EXPECT_FALSE(early->has_value()) << "not due before its backoff";
  ASSERT_TRUE(queue_->Claim("2026-11-23T01:00:31.000Z"));
  ASSERT_TRUE(queue_->Finish(id, {"2026-11-23T01:00:31.100Z", "delivered", "AA", ""}, ports::kDeliveryDelivered, ""));
  auto job = queue_->Get(id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, ports::kDeliveryDelivered);
  ASSERT_EQ(job->attempts.size(), 2u);
  EXPECT_EQ(job->attempts[0].ack_code, "AE");
  EXPECT_EQ(job->attempts[0].detail, "bad PID");
  EXPECT_EQ(job->attempts[0].at, "2026-11-23T01:00:00.100Z");
  EXPECT_EQ(job->attempts[1].outcome, "delivered");
  auto delivered = queue_->List(ports::kDeliveryDelivered, 10);
  ASSERT_TRUE(delivered);
  ASSERT_EQ(delivered->size(), 1u);
  EXPECT_EQ(delivered->front().attempts.size(), 2u);
  auto pending = queue_->List(ports::kDeliveryPending, 10);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
  EXPECT_EQ(queue_->Finish(999, {}, ports::kDeliveryDelivered, "").error().code, ErrorCode::kNotFound);
}

TEST_P(DeliveryQueueContractTest, InFlightJobsGoBackToPendingAndFailedJobsCanBeResent) {
  auto a = Add("archive", "2026-11-23T01:00:00.000Z");
  auto b = Add("EHR", "2026-11-23T01:00:00.000Z");
  ASSERT_TRUE(queue_->Claim("2026-11-23T01:00:00.000Z"));
  ASSERT_TRUE(queue_->Claim("2026-11-23T01:00:00.000Z"));
  ASSERT_TRUE(queue_->Finish(b, {"2026-11-23T01:00:01.000Z", "error", "", "connection refused"},
                             ports::kDeliveryFailed, ""));
  auto moved = queue_->RequeueInFlight();
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, 1u);
  EXPECT_EQ(queue_->Get(a)->state, ports::kDeliveryPending);
  EXPECT_EQ(queue_->Resend(a, "2026-11-23T01:05:00.000Z").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(queue_->Resend(12345, "2026-11-23T01:05:00.000Z").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(queue_->Resend(b, "2026-11-23T01:05:00.000Z"));
  auto job = queue_->Get(b);
  EXPECT_EQ(job->state, ports::kDeliveryPending);
  EXPECT_EQ(job->next_attempt_at, "2026-11-23T01:05:00.000Z");
  EXPECT_EQ(job->attempts.size(), 1u) << "history kept";
}

}  // namespace systole::adapters::contract
