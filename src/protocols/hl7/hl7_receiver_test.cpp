#include "protocols/hl7/hl7_receiver.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/memory/memory_index.h"
#include "protocols/hl7/hl7_message.h"

namespace systole::hl7 {
namespace {

std::string Sample(const std::string& name) {
  const char* root = std::getenv("SYSTOLE_TESTDATA");
  std::ifstream in(std::filesystem::path(root ? root : "../shared/testdata") / "hl7" / name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class Hl7ReceiverTest : public ::testing::Test {
 protected:
  Message Ack(const std::string& raw) {
    auto ack = Message::Parse(receiver_.Handle(raw, "test:1"));
    EXPECT_TRUE(ack);
    return *ack;
  }
  std::vector<domain::ScheduledStep> Steps() { return *index_.ListSteps(false); }

  adapters::MemoryIndex index_;
  FakeClock clock_{std::chrono::system_clock::time_point{}};
  services::IdentityService identity_{index_, index_, index_, clock_};
  Hl7Receiver receiver_{{}, identity_};
};

TEST_F(Hl7ReceiverTest, OrmBecomesAScheduledStep) {
  auto ack = Ack(Sample("fhirconverter__ORM-O01-01.hl7"));
  EXPECT_EQ(ack.Value("MSA", 1), "AA") << ack.Value("ERR", 8);
  EXPECT_EQ(ack.Value("MSA", 2), "MSG00018");
  auto steps = Steps();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].accession_number, "1201");  // no OBR-18: the filler order number
  EXPECT_EQ(steps[0].patient.identity.id, "PATID1234");
  EXPECT_EQ(steps[0].patient.name, "EVERYMAN^ADAM^A^Dr.^III");
  EXPECT_EQ(steps[0].start_date, "20020315");  // ORC-7.4, the quantity/timing start
  EXPECT_EQ(steps[0].referring_physician, "REFER^LINDA^C");
  EXPECT_EQ(steps[0].requested_procedure_description, "CT Head");
}

TEST_F(Hl7ReceiverTest, OmiUsesIpcAndOrmUsesObr18) {
  EXPECT_EQ(Ack(Sample("dcm4che__OMI_O23-ImagingOrder.hl7")).Value("MSA", 1), "AA");
  auto steps = Steps();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].accession_number, "AccessionNumber");
  EXPECT_EQ(steps[0].study_instance_uid, "1.2.392.200036.9125.0.198811291108.7");
  EXPECT_EQ(steps[0].station_ae_titles, "ScheduledStationAET1\\ScheduledStationAET2");
  EXPECT_EQ(steps[0].modality, "CT");
  EXPECT_EQ(steps[0].step_id, "ScheduledProcStepID");
  EXPECT_EQ(steps[0].start_date, "20000816");
  EXPECT_EQ(steps[0].start_time, "1510");
}

TEST_F(Hl7ReceiverTest, FaultsAreAnsweredWithErr) {
  auto garbage = Ack("hello world");
  EXPECT_EQ(garbage.Value("MSA", 1), "AR");
  EXPECT_FALSE(garbage.Value("ERR", 8).empty());
  auto oru = Ack(Sample("dcm4che__ORU_R01-SR.hl7"));
  EXPECT_EQ(oru.Value("MSA", 1), "AR");
  EXPECT_EQ(oru.Value("ERR", 3, 1), "200");
  auto no_pid = Ack("MSH|^~\\&|A|B|C|D|20240101||ADT^A08|9|P|2.5\rEVN|A08\r");
  EXPECT_EQ(no_pid.Value("MSA", 1), "AE");
  EXPECT_EQ(no_pid.Value("MSA", 2), "9");
  auto no_id = Ack("MSH|^~\\&|A|B|C|D|20240101||ADT^A08|10|P|2.3\rPID|||||Doe^J\r");
  EXPECT_EQ(no_id.Value("MSA", 1), "AE");
  EXPECT_EQ(no_id.Value("ERR", 1, 4, 1), "101");  // v2.3 layout
  EXPECT_EQ(index_.messages().size(), 4u);
  EXPECT_EQ(index_.messages()[0].ack_code, "AR");
  EXPECT_EQ(index_.messages()[0].raw, "hello world");
}

TEST_F(Hl7ReceiverTest, AllowListRefusesOtherSenders) {
  Hl7Receiver strict({"SYSTOLE", "SYSTOLE", {"RIS^HOSP"}}, identity_);
  auto refused = Message::Parse(strict.Handle(Sample("dcm4che__ADT_A31-UpdatePersonInfo.hl7"), "x"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->Value("MSA", 1), "AR");
  auto allowed = Message::Parse(strict.Handle("MSH|^~\\&|RIS|HOSP|X|Y|2024||ADT^A31|5|P|2.5\rPID|||7^^^H||A^B\r", "x"));
  EXPECT_EQ(allowed->Value("MSA", 1), "AA");
}

}  // namespace
}  // namespace systole::hl7
