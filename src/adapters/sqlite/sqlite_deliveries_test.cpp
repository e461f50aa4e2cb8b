#include "adapters/sqlite/sqlite_deliveries.h"

#include <unistd.h>

#include "adapters/delivery_queue_contract_test.h"

namespace systole::adapters::contract {
namespace {

std::filesystem::path FreshDatabase() {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("systole_deliveries_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir / "index.db";
}

std::shared_ptr<ports::DeliveryQueue> MakeSqlite() {
  auto queue = SqliteDeliveryQueue::Open(FreshDatabase());
  EXPECT_TRUE(queue) << queue.error().message;
  return std::shared_ptr<ports::DeliveryQueue>(std::move(*queue));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DeliveryQueueContractTest, ::testing::Values(&MakeSqlite));

TEST(SqliteDeliveryQueueTest, JobsAndTheirHistorySurviveReopening) {
  auto path = FreshDatabase();
  std::int64_t delivered = 0, in_flight = 0;
  {
    auto queue = SqliteDeliveryQueue::Open(path);
    ASSERT_TRUE(queue) << queue.error().message;
    ports::DeliveryJob job;
    job.report_id = "R7";
    job.version = 2;
    job.destination = "archive";
    job.document = "{}";
    job.next_attempt_at = "2026-11-23T01:00:00.000Z";
    delivered = *(*queue)->Enqueue(job);
    job.destination = "EHR";
    in_flight = *(*queue)->Enqueue(job);
    ASSERT_TRUE((*queue)->Claim("2026-11-23T01:00:00.000Z"));
    ASSERT_TRUE((*queue)->Claim("2026-11-23T01:00:00.000Z"));
    ASSERT_TRUE((*queue)->Finish(delivered, {"2026-11-23T01:00:01.000Z", "delivered", "", "SR + PDF stored"},
                                 ports::kDeliveryDelivered, ""));
    // `in_flight` is left in flight: the process "crashes" here.
  }
  auto reopened = SqliteDeliveryQueue::Open(path);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(*(*reopened)->RequeueInFlight(), 1u);
  auto a = (*reopened)->Get(delivered);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->state, ports::kDeliveryDelivered);
  ASSERT_EQ(a->attempts.size(), 1u);
  EXPECT_EQ(a->attempts[0].detail, "SR + PDF stored");
  auto b = (*reopened)->Get(in_flight);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->state, ports::kDeliveryPending);
  auto due = (*reopened)->Claim("2026-11-23T01:00:00.000Z");
  ASSERT_TRUE(due && due->has_value());
  EXPECT_EQ((*due)->id, in_flight);
}

}  // namespace
}  // namespace systole::adapters::contract
