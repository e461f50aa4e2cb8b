#include "adapters/syslog/syslog_format.h"

#include <gtest/gtest.h>

namespace systole::adapters {
namespace {

domain::AuditRecord Record() {
  domain::AuditRecord record;
  record.seq = 7;
  record.recorded_at = 1795403400123;  // 2026-11-23T03:10:00.123Z
  record.message = R"({"EventIdentification":{"EventActionCode":"E"}})";
  return record;
}

TEST(SyslogFormat, Rfc5424HeaderAndJsonMessage) {
  EXPECT_EQ(SyslogLine(Record(), "110112", "pacs01", "systole", 4242),
            "<85>1 2026-11-23T03:10:00.123Z pacs01 systole 4242 110112 - "
            R"({"EventIdentification":{"EventActionCode":"E"}})");
}

TEST(SyslogFormat, EmptyOrUnprintableHeaderFieldsBecomeNilAndAreCut) {
  const std::string line = SyslogLine(Record(), "", "bad host\n", std::string(60, 'a'), 1);
  EXPECT_EQ(line.substr(0, 40), "<85>1 2026-11-23T03:10:00.123Z badhost a");
  EXPECT_NE(line.find(std::string(48, 'a') + " 1 - - {"), std::string::npos) << line;
}

TEST(SyslogFormat, OctetCountingCountsBytesNotCharacters) {
  EXPECT_EQ(OctetCounted("<85>1 é"), "8 <85>1 é");
}

}  // namespace
}  // namespace systole::adapters
