#include "server/listener_plan.h"

#include <gtest/gtest.h>

namespace systole::server {
namespace {

Config WithTls() {
  Config config;
  config.dicom.port = 104;
  config.dicom.tls = {"server.pem", "server.key", "ca.pem", true};
  config.dicom_tls_port = 2762;
  config.http_port = 80;
  config.http_tls = {"server.pem", "server.key", {}, false};
  config.http_tls_port = 443;
  config.hl7_port = 2575;
  config.hl7_tls = {"server.pem", "server.key", {}, false};
  config.hl7_tls_port = 2576;
  return config;
}

TEST(ListenerPlan, NoTlsConfiguredMeansPlainListenersOnly) {
  const auto plan = PlanListeners(Config{});
  EXPECT_FALSE(plan.dicom_tls || plan.https || plan.hl7_tls);
  EXPECT_FALSE(tls::Configured(plan.dicom.tls));
  EXPECT_FALSE(tls::Configured(plan.http.tls));
  EXPECT_FALSE(plan.http_redirects_to_https);
}

TEST(ListenerPlan, TlsAddsASecondTlsOnlyListenerBesideThePlainOne) {
  const auto plan = PlanListeners(WithTls());
  EXPECT_FALSE(tls::Configured(plan.dicom.tls));
  EXPECT_EQ(plan.dicom.port, 104);
  ASSERT_TRUE(plan.dicom_tls);
  EXPECT_EQ(plan.dicom_tls->port, 2762);
  EXPECT_TRUE(plan.dicom_tls->tls.verify_peer);
  ASSERT_TRUE(plan.https);
  EXPECT_EQ(plan.https->port, 443);
  EXPECT_FALSE(plan.http_redirects_to_https);
  ASSERT_TRUE(plan.hl7_tls);
  EXPECT_EQ(plan.hl7_tls->port, 2576);
  EXPECT_FALSE(tls::Configured(plan.hl7.tls));
}

TEST(ListenerPlan, TlsRequiredMakesTheMainPortTlsAndOpensNoPlainOne) {
  Config config = WithTls();
  config.dicom_tls_required = config.hl7_tls_required = config.http_tls_required = true;
  const auto plan = PlanListeners(config);
  EXPECT_TRUE(tls::Configured(plan.dicom.tls));
  EXPECT_EQ(plan.dicom.port, 104);
  EXPECT_FALSE(plan.dicom_tls);
  EXPECT_TRUE(tls::Configured(plan.hl7.tls));
  EXPECT_FALSE(plan.hl7_tls);
  EXPECT_TRUE(plan.http_redirects_to_https);
  EXPECT_FALSE(tls::Configured(plan.http.tls));
  ASSERT_TRUE(plan.https);
}

}  // namespace
}  // namespace systole::server
