// The ORU^R01 as an independent parser reads it, and delivery over MLLP to a
// real receiving endpoint that answers AE, then is down, then answers AA.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fmt/format.h>
#include <map>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "adapters/sqlite/sqlite_deliveries.h"
#include "protocols/hl7/hl7_message.h"
#include "protocols/hl7/mllp_client.h"
#include "protocols/hl7/mllp_server.h"
#include "protocols/hl7/oru_message.h"
#include "protocols/hl7/oru_sender.h"
#include "services/delivery/delivery_testing.h"

namespace systole::hl7 {
namespace {

using namespace std::chrono_literals;

std::filesystem::path TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("systole_oru_{}_{}", ::getpid(), name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}


OruHeader Header() {
  OruHeader header;
  header.receiving_application = "EPIC";
  header.receiving_facility = "CARDIO";
  header.control_id = "SYSTOLE-D1";
  header.timestamp = "20261123011500";
  return header;
}

TEST(OruMessageTest, PythonHl7ReadsEveryValueOfTheDocument) {
  const auto report = services::testing::SampleTteReport();
  auto file = TempDir("python") / "oru.hl7";
  std::ofstream(file) << BuildOru(report, Header());
  const std::string out =
      services::testing::RunCommand(fmt::format("/usr/bin/python3 {}/src/protocols/hl7/oru_dump.py {}", SYSTOLE_SOURCE_DIR, file.string()));
  nlohmann::json parsed;
  ASSERT_NO_THROW(parsed = nlohmann::json::parse(out)) << out;
  EXPECT_EQ(parsed["msh4"], "Hôpital Cœur-Saint-Jean");
  EXPECT_EQ(parsed["msh9"], "ORU^R01^ORU_R01");
  EXPECT_EQ(parsed["msh10"], "SYSTOLE-D1");
  EXPECT_EQ(parsed["pid3"], nlohmann::json({"PAT-1001", "HOSP-A"}));
  EXPECT_EQ(parsed["pid5"], nlohmann::json({"Müller", "Jürgen"}));
  EXPECT_EQ(parsed["pid7"], "19560412");
  EXPECT_EQ(parsed["orc2"], "ACC-77881");
  EXPECT_EQ(parsed["obr4"], "tte");
  EXPECT_EQ(parsed["obr18"], "ACC-77881");
  EXPECT_EQ(parsed["obr25"], "C") << "an addendum corrects the final result";

  // One NM OBX per numeric value, in document order, matching it exactly.
  std::vector<nlohmann::json> numbers, texts;
  for (const auto& obx : parsed["obx"]) {
    EXPECT_EQ(obx["status"], "F");
    (obx["type"] == "NM" ? numbers : texts).push_back(obx);
  }
  std::size_t i = 0;
  for (const auto& section : report.sections)
    for (const auto& v : section.values) {
      if (v.kind != "number") continue;
      ASSERT_LT(i, numbers.size());
      EXPECT_EQ(numbers[i]["code"], v.code.value);
      EXPECT_EQ(numbers[i]["system"], "LN");
      EXPECT_EQ(numbers[i]["value"], v.value);
      EXPECT_EQ(numbers[i]["units"], v.unit);
      EXPECT_EQ(numbers[i]["range"], v.normal_range);
      EXPECT_EQ(numbers[i]["flag"], v.flag);
      ++i;
    }
  EXPECT_EQ(i, 4u);
  EXPECT_EQ(numbers.size(), 4u);
  EXPECT_EQ(numbers[0]["code"], "18043-0");
  EXPECT_EQ(numbers[0]["value"], "55");
  EXPECT_EQ(numbers[3]["flag"], "H");
  std::map<std::string, std::string> narrative;
  for (const auto& obx : texts) narrative[obx["code"]] = obx["value"];
  EXPECT_EQ(narrative["dia.grade"], "Grade II");
  EXPECT_NE(narrative["59776-5"].find("LVEF 55 %"), std::string::npos);
  EXPECT_NE(narrative["19005-8"].find("Diastolic dysfunction grade II"), std::string::npos);
  EXPECT_NE(narrative["55107-7"].find("E/e' was 11"), std::string::npos);
  EXPECT_NE(narrative["55107-7"].find("Dr Jane Smith"), std::string::npos);
}

TEST(OruMessageTest, DelimitersInValuesAreEscapedAndRoundTripThroughOurCodec) {
  auto report = services::testing::SampleTteReport();
  report.impression = "A|B^C&D~E\\F\nsecond line";
  report.status = domain::kReportFinal;
  report.addenda.clear();
  auto parsed = Message::Parse(BuildOru(report, Header()));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->Value("OBR", 25), "F");
  const Segment* impression = nullptr;
  for (std::size_t n = 0; const Segment* obx = parsed->Find("OBX", n); ++n)
    if (parsed->Value(*obx, 3) == "19005-8") impression = obx;
  ASSERT_NE(impression, nullptr);
  EXPECT_EQ(parsed->Value(*impression, 5, 0), "A|B^C&D~E\\F\nsecond line");
  EXPECT_EQ(parsed->Value("PID", 5, 2), "Jürgen");
}

// A receiving endpoint whose answer the test switches.
struct Receiver {
  std::mutex mutex;
  std::vector<std::string> control_ids;
  std::string answer_code = "AE";

  std::string Handle(std::string_view text) {
    auto message = Message::Parse(text);
    std::lock_guard lock(mutex);
    control_ids.push_back(message ? message->ControlId() : "?");
    AckFault fault;
    if (answer_code != "AA") fault = {Fault::kApplicationError, "patient PAT-1001 unknown here", "PID-3"};
    return BuildAck(message ? &*message : nullptr, answer_code, fault, "EPIC", "CARDIO", "ACK1", "20261123011500");
  }
};

TEST(OruDeliveryTest, DeliversExactlyOnceAfterAnErrorAndAnOutageAndSurvivesARestart) {
  const auto db = TempDir("delivery") / "index.db";
  Receiver receiver;
  auto handler = [&](std::string_view message, std::string_view) { return receiver.Handle(message); };
  MllpConfig config;
  config.port = 0;
  auto server = std::make_unique<MllpServer>(config, handler);
  auto port = server->Start();
  ASSERT_TRUE(port) << port.error().message;

  FakeClock clock(std::chrono::sys_days{std::chrono::November / 23 / 2026});
  services::DeliveryPolicy policy;
  policy.retry_initial = 5s;
  policy.retry_max = 60s;
  policy.max_attempts = 5;
  Hl7Destination destination{"EHR", "127.0.0.1", *port, "EPIC", "CARDIO", 2000ms};
  std::int64_t job_id = 0;
  {
    auto queue = adapters::SqliteDeliveryQueue::Open(db);
    ASSERT_TRUE(queue) << queue.error().message;
    services::DeliveryService service(**queue, clock, policy);
    service.AddDestination("EHR", Hl7Sender(destination, "SYSTOLE", clock));
    ASSERT_TRUE(service.Enqueue(services::testing::SampleTteReport()));

    // 1: the receiver answers AE.
    ASSERT_EQ(*service.RunDue(), 1u);
    auto jobs = service.Jobs(ports::kDeliveryPending);
    ASSERT_EQ(jobs->size(), 1u);
    job_id = jobs->front().id;
    ASSERT_EQ(jobs->front().attempts.size(), 1u);
    EXPECT_EQ(jobs->front().attempts[0].ack_code, "AE");
    EXPECT_NE(jobs->front().attempts[0].detail.find("PAT-1001 unknown"), std::string::npos);

    // 2: the receiver is down (connection refused).
    server->Stop();
    server.reset();
    clock.Advance(5s);
    ASSERT_EQ(*service.RunDue(), 1u);
    auto after_outage = service.Jobs(ports::kDeliveryPending);
    ASSERT_EQ(after_outage->front().attempts.size(), 2u);
    EXPECT_EQ(after_outage->front().attempts[1].ack_code, "");
    EXPECT_NE(after_outage->front().attempts[1].detail.find("refused"), std::string::npos)
        << after_outage->front().attempts[1].detail;

    // 3: it comes back and accepts.
    {
      std::lock_guard lock(receiver.mutex);
      receiver.answer_code = "AA";
    }
    config.port = *port;
    server = std::make_unique<MllpServer>(config, handler);
    ASSERT_TRUE(server->Start());
    clock.Advance(9s);
    EXPECT_EQ(*service.RunDue(), 0u) << "the second backoff (10 s) has not passed";
    clock.Advance(1s);
    ASSERT_EQ(*service.RunDue(), 1u);
    clock.Advance(1h);
    EXPECT_EQ(*service.RunDue(), 0u);
  }
  {
    std::lock_guard lock(receiver.mutex);
    ASSERT_EQ(receiver.control_ids.size(), 2u) << "one AE, one AA: delivered exactly once";
    EXPECT_EQ(receiver.control_ids[0], receiver.control_ids[1]) << "a retry is the same message";
  }

  // Restart: the queue reopened from disk still knows the job, delivered, with its history.
  auto reopened = adapters::SqliteDeliveryQueue::Open(db);
  ASSERT_TRUE(reopened) << reopened.error().message;
  services::DeliveryService restarted(**reopened, clock, policy);
  restarted.AddDestination("EHR", Hl7Sender(destination, "SYSTOLE", clock));
  ASSERT_TRUE(restarted.Start());
  std::this_thread::sleep_for(200ms);
  restarted.Stop();
  auto job = (*reopened)->Get(job_id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, ports::kDeliveryDelivered);
  ASSERT_EQ(job->attempts.size(), 3u);
  EXPECT_EQ(job->attempts[0].ack_code, "AE");
  EXPECT_EQ(job->attempts[2].ack_code, "AA");
  EXPECT_EQ(job->attempts[2].outcome, "delivered");
  std::lock_guard lock(receiver.mutex);
  EXPECT_EQ(receiver.control_ids.size(), 2u) << "nothing sent again after the restart";
  server->Stop();
}

TEST(MllpClientTest, AnEndpointThatNeverAnswersTimesOut) {
  MllpConfig config;
  config.port = 0;
  MllpServer silent(config, [](std::string_view, std::string_view) {
    std::this_thread::sleep_for(1500ms);
    return std::string("MSH|^~\\&|X\rMSA|AA|1\r");
  });
  auto port = silent.Start();
  ASSERT_TRUE(port);
  auto answer = MllpExchange({"127.0.0.1", *port, 300ms}, "MSH|^~\\&|A|B\r");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(answer.error().message.find("no answer"), std::string::npos) << answer.error().message;
  silent.Stop();
}

}  // namespace
}  // namespace systole::hl7
