// MLLP over TLS end to end in one process: our listener and our client (the ORU
// delivery path), with real certificates from the openssl CLI.
#include <gtest/gtest.h>

#include <string>

#include "protocols/hl7/mllp_client.h"
#include "protocols/hl7/mllp_server.h"
#include "protocols/hl7/oru_sender.h"
#include "protocols/tls/test_certificates.h"

namespace systole::hl7 {
namespace {

using namespace std::chrono_literals;

class MllpTlsTest : public ::testing::Test {
 protected:
  // One PKI for the suite: making RSA keys takes a while.
  static void SetUpTestSuite() { certs_ = new tls::TestCertificates; }
  static void TearDownTestSuite() { delete certs_; }
  void SetUp() override {
    ASSERT_TRUE(certs_->ok());
    MllpConfig config;
    config.port = 0;
    config.tls = {certs_->File("server.pem"), certs_->File("server.key"), certs_->File("ca.pem"), true};
    server_ = std::make_unique<MllpServer>(config, [](std::string_view message, std::string_view) {
      return "ECHO " + std::string(message);
    });
    auto port = server_->Start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
  }
  void TearDown() override { server_->Stop(); }

  MllpEndpoint Endpoint(const char* client, std::string host = "127.0.0.1") {
    MllpEndpoint endpoint;
    endpoint.host = std::move(host);
    endpoint.port = port_;
    endpoint.timeout = 3000ms;
    endpoint.tls = true;
    endpoint.tls_files.ca = certs_->File("ca.pem");
    if (client) {
      endpoint.tls_files.cert = certs_->File((std::string(client) + ".pem").c_str());
      endpoint.tls_files.key = certs_->File((std::string(client) + ".key").c_str());
    }
    return endpoint;
  }

  static tls::TestCertificates* certs_;
  std::unique_ptr<MllpServer> server_;
  std::uint16_t port_ = 0;
};

tls::TestCertificates* MllpTlsTest::certs_ = nullptr;

TEST_F(MllpTlsTest, ClientWithCertificateGetsTheAnswer) {
  auto answer = MllpExchange(Endpoint("client"), "MSH|^~\\&|A|B\r");
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(*answer, "ECHO MSH|^~\\&|A|B\r");
  auto by_name = MllpExchange(Endpoint("client", "localhost"), "X");
  ASSERT_TRUE(by_name) << by_name.error().message;
}

TEST_F(MllpTlsTest, PlainClientsAndUntrustedCertificatesGetNothing) {
  MllpEndpoint plain_endpoint = Endpoint(nullptr);
  plain_endpoint.tls = false;
  auto plain = MllpExchange(plain_endpoint, "MSH|^~\\&|A|B\r");
  EXPECT_FALSE(plain);
  auto no_certificate = MllpExchange(Endpoint(nullptr), "MSH|^~\\&|A|B\r");
  EXPECT_FALSE(no_certificate);
  auto other_ca = MllpExchange(Endpoint("wrong"), "MSH|^~\\&|A|B\r");
  EXPECT_FALSE(other_ca);
}

TEST_F(MllpTlsTest, ClientRefusesAServerCertificateForAnotherName) {
  // The same certificate (localhost, 127.0.0.1) served on 127.0.0.2.
  MllpConfig config;
  config.bind_address = "127.0.0.2";
  config.port = 0;
  config.tls = {certs_->File("server.pem"), certs_->File("server.key"), {}, false};
  MllpServer elsewhere(config, [](std::string_view, std::string_view) { return std::string("X"); });
  auto port = elsewhere.Start();
  ASSERT_TRUE(port) << port.error().message;
  MllpEndpoint endpoint = Endpoint("client", "127.0.0.2");
  endpoint.port = *port;
  auto answer = MllpExchange(endpoint, "X");
  elsewhere.Stop();
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message.find("certificate"), std::string::npos) << answer.error().message;
}

TEST(Hl7DestinationTest, TlsSuffix) {
  auto plain = ParseHl7Destination("EHR=ehr.example.org:2575");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls);
  auto secure = ParseHl7Destination("EHR=ehr.example.org:2575;tls");
  ASSERT_TRUE(secure);
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->host, "ehr.example.org");
  EXPECT_EQ(secure->port, 2575);
  EXPECT_FALSE(ParseHl7Destination("EHR=ehr.example.org:2575;ssl"));
}

}  // namespace
}  // namespace systole::hl7
