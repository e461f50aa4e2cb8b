#include "server/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

namespace systole::server {
namespace {

std::filesystem::path WriteToml(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("systole_config_test_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, DefaultsKeepEverythingUnderVar) {
  auto config = LoadConfig({}, {}, nullptr);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->data_dir, "./var");
  EXPECT_EQ(config->dicom.port, 11112);
  EXPECT_TRUE(config->dicom.allowed_peers.empty());
}

TEST(ConfigTest, FlagsOverrideTheFileAndEnvironmentOverridesBoth) {
  auto file = WriteToml("[dicom]\nport = 104\nae_title = \"FROMFILE\"\npeers = [\"A=h:1\"]\n[storage]\nmin_free_mb = 5\n");
  Overrides flags{{"dicom.port", {"2000"}}, {"dicom.peers", {"B=host:2"}}};
  std::string env1 = "SYSTOLE_DICOM_PORT=3000", env2 = "SYSTOLE_SERVER_DATA_DIR=/tmp/x", env3 = "UNRELATED=1";
  char* environment[] = {env1.data(), env2.data(), env3.data(), nullptr};
  auto config = LoadConfig(file, flags, environment);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->dicom.port, 3000);
  EXPECT_EQ(config->dicom.ae_title, "FROMFILE");
  EXPECT_EQ(config->data_dir, "/tmp/x");
  EXPECT_EQ(config->ingest.min_free_bytes, 5u << 20);
  ASSERT_EQ(config->dicom.move_destinations.size(), 2u);
  EXPECT_EQ(config->dicom.move_destinations[1].ae_title, "B");
  EXPECT_EQ(config->dicom.move_destinations[1].port, 2);
  std::filesystem::remove(file);
}

TEST(ConfigTest, RefusesUnknownKeysAndBadValuesByName) {
  auto unknown = LoadConfig(WriteToml("[dicom]\nprot = 1\n"), {}, nullptr);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("dicom.prot"), std::string::npos);
  auto bad_port = LoadConfig({}, {{"dicom.port", {"70000"}}}, nullptr);
  ASSERT_FALSE(bad_port);
  EXPECT_NE(bad_port.error().message.find("dicom.port"), std::string::npos);
  auto bad_peer = LoadConfig({}, {{"dicom.peers", {"nohostport"}}}, nullptr);
  ASSERT_FALSE(bad_peer);
  auto bad_policy = LoadConfig({}, {{"storage.duplicate_policy", {"overwrite"}}}, nullptr);
  ASSERT_FALSE(bad_policy);
}

TEST(ConfigTest, WebRootDefaultsToWebDistBesideTheBuildDirectory) {
  auto config = LoadConfig({}, {}, nullptr);
  ASSERT_TRUE(config);
  EXPECT_EQ(ResolveWebRoot(*config, "/src/systole/build/systole"), "/src/systole/web/dist");
  auto set = LoadConfig({}, {{"http.web_root", {"/srv/viewer"}}}, nullptr);
  ASSERT_TRUE(set);
  EXPECT_EQ(ResolveWebRoot(*set, "/src/systole/build/systole"), "/srv/viewer");
}

TEST(ConfigTest, DeliveryDestinationsAndRetriesAreParsedAndChecked) {
  auto config = LoadConfig({}, {{"delivery.hl7_destinations", {"EHR=ehr.example.org:2575", "RIS=10.0.0.7:6661"}},
                                {"delivery.max_attempts", {"4"}}, {"delivery.retry_initial_seconds", {"5"}}},
                           nullptr);
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->delivery_hl7_destinations.size(), 2u);
  EXPECT_EQ(config->delivery_hl7_destinations[0].name, "EHR");
  EXPECT_EQ(config->delivery_hl7_destinations[0].host, "ehr.example.org");
  EXPECT_EQ(config->delivery_hl7_destinations[1].port, 6661);
  EXPECT_EQ(config->delivery.max_attempts, 4);
  EXPECT_EQ(config->delivery.retry_initial, std::chrono::seconds(5));
  for (const char* bad : {"EHR", "EHR=host", "=host:1", "EHR=host:0", "EHR=host:70000", "archive=host:1", "A|B=h:1"}) {
    auto refused = LoadConfig({}, {{"delivery.hl7_destinations", {bad}}}, nullptr);
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message.find("delivery.hl7_destinations"), std::string::npos);
  }
  EXPECT_FALSE(LoadConfig({}, {{"delivery.max_attempts", {"0"}}}, nullptr));
}

TEST(ConfigTest, OidcNeedsAudienceOneKeySourceAndARoleMap) {
  Overrides oidc = {{"oidc.issuer", {"https://idp.example.org"}}, {"oidc.audience", {"systole"}},
                    {"oidc.jwks_url", {"http://127.0.0.1:8081/certs"}},
                    {"oidc.role_map", {"cn=readers,ou=cardio=cardiologist", "admins=admin"}}};
  auto config = LoadConfig({}, oidc, nullptr);
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->oidc.role_map.size(), 2u);
  EXPECT_EQ(config->oidc.role_map[0].first, "cn=readers,ou=cardio");
  EXPECT_EQ(config->oidc.role_map[0].second, "cardiologist");
  EXPECT_EQ(config->oidc.user_claim, "preferred_username");
  EXPECT_EQ(config->oidc.leeway_seconds, 60);
  auto without = [&](const char* key) { auto copy = oidc; copy.erase(key); return LoadConfig({}, copy, nullptr); };
  EXPECT_FALSE(without("oidc.audience"));
  EXPECT_FALSE(without("oidc.jwks_url"));
  EXPECT_FALSE(without("oidc.role_map"));
  oidc["oidc.jwks_file"] = {"/etc/systole/jwks.json"};
  EXPECT_FALSE(LoadConfig({}, oidc, nullptr));  // both sources
  EXPECT_FALSE(LoadConfig({}, {{"oidc.jwks_url", {"ftp://idp/certs"}}}, nullptr));
  EXPECT_FALSE(LoadConfig({}, {{"oidc.role_map", {"readers"}}}, nullptr));
  EXPECT_FALSE(LoadConfig({}, {{"oidc.leeway_seconds", {"-1"}}}, nullptr));
}

TEST(ConfigTest, OidcRoleMapMayBeATomlTable) {
  const auto file = std::filesystem::temp_directory_path() / "systole_oidc_config_test.toml";
  std::ofstream(file) << "[oidc]\nissuer = \"https://idp\"\naudience = \"systole\"\njwks_file = \"/tmp/j.json\"\n"
                         "role_map = { \"cardio-readers\" = \"cardiologist\", \"cardio-admins\" = \"admin\" }\n";
  auto config = LoadConfig(file, {}, nullptr);
  std::filesystem::remove(file);
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->oidc.role_map.size(), 2u);
  EXPECT_EQ(config->oidc.role_map[0], (std::pair<std::string, std::string>{"cardio-admins", "admin"}));
}

TEST(ConfigTest, TheExampleFileDocumentsEveryKeyAndLoads) {
  const std::filesystem::path example = std::filesystem::path(SYSTOLE_SOURCE_DIR) / "config/systole.example.toml";
  std::ifstream in(example);
  ASSERT_TRUE(in) << example;
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string section;
  std::set<std::string> documented;
  std::regex section_re(R"(^\[(\w+)\])"), key_re(R"(^#?\s*(\w+)\s*=)");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, section_re)) section = m[1];
    else if (std::regex_search(line, m, key_re) && !section.empty()) documented.insert(section + "." + std::string(m[1]));
  }
  for (const auto& key : ConfigKeys()) EXPECT_TRUE(documented.count(key)) << key << " is not documented";
  auto loaded = LoadConfig(example, {}, nullptr);
  EXPECT_TRUE(loaded) << loaded.error().message;
}

}  // namespace
}  // namespace systole::server
