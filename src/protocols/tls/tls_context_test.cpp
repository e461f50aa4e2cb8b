// Real certificates (made with the openssl CLI) and a real handshake over a socketpair.
#include "protocols/tls/tls_context.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "protocols/tls/tls_connection.h"
#include "protocols/tls/test_certificates.h"

namespace systole::tls {
namespace {

namespace fs = std::filesystem;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new TestCertificates;
    ASSERT_TRUE(certs_->ok());
  }
  static void TearDownTestSuite() { delete certs_; }
  static fs::path File(const char* name) { return certs_->File(name); }
  static TestCertificates* certs_;
};
TestCertificates* TlsTest::certs_ = nullptr;

// The server side of a handshake with `client` (which then waits for a first read, where
// TLS 1.3 delivers the server's refusal). Returns the server's result.
Status ServerHandshake(SSL_CTX* server, SSL_CTX* client) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return Fail(ErrorCode::kInternal, "socketpair");
  std::thread peer([&] {
    auto c = Connection::Connect(client, fds[1], "localhost");
    if (c) {
      char b[4];
      (*c)->Read(b, sizeof(b));
    }
    ::shutdown(fds[1], SHUT_RDWR);
  });
  auto s = Connection::Accept(server, fds[0]);
  if (s) s->reset();
  ::shutdown(fds[0], SHUT_RDWR);
  peer.join();
  ::close(fds[0]);
  ::close(fds[1]);
  if (!s) return std::unexpected(s.error());
  return {};
}

TEST_F(TlsTest, RefusesMissingFilesAndMismatchedKeys) {
  auto missing = ServerContext({File("nope.pem"), File("server.key"), {}, false});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope.pem"), std::string::npos);
  auto mismatch = ServerContext({File("server.pem"), File("client.key"), {}, false});
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message.find("does not match"), std::string::npos);
  auto no_ca = ServerContext({File("server.pem"), File("server.key"), {}, true});
  ASSERT_FALSE(no_ca);
  EXPECT_NE(no_ca.error().message.find("CA"), std::string::npos);
}

TEST_F(TlsTest, HandshakeVerifiesBothSidesAndNamesTheClient) {
  auto server = ServerContext({File("server.pem"), File("server.key"), File("ca.pem"), true});
  ASSERT_TRUE(server) << server.error().message;
  auto client = ClientContext({File("client.pem"), File("client.key"), File("ca.pem"), false});
  ASSERT_TRUE(client) << client.error().message;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::string client_cn;
  std::thread peer([&] {
    auto c = Connection::Connect(client->get(), fds[1], "localhost");
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE((*c)->WriteAll("hello"));
  });
  auto s = Connection::Accept(server->get(), fds[0]);
  ASSERT_TRUE(s) << s.error().message;
  char buffer[16];
  const auto n = (*s)->Read(buffer, sizeof(buffer));
  ASSERT_EQ(n, 5);
  EXPECT_EQ(std::string(buffer, 5), "hello");
  EXPECT_EQ((*s)->PeerCommonName(), "MODALITY1");
  peer.join();
  s->reset();
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(TlsTest, ClientWithoutCertificateIsRefusedWhenVerifying) {
  auto server = ServerContext({File("server.pem"), File("server.key"), File("ca.pem"), true});
  auto client = ClientContext({{}, {}, File("ca.pem"), false});
  ASSERT_TRUE(server && client);
  EXPECT_FALSE(ServerHandshake(server->get(), client->get()));
}

TEST_F(TlsTest, ClientRefusesAServerNotNamedAsAsked) {
  auto server = ServerContext({File("server.pem"), File("server.key"), {}, false});
  auto client = ClientContext({{}, {}, File("ca.pem"), false});
  ASSERT_TRUE(server && client);
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::thread peer([&] {
    auto s = Connection::Accept(server->get(), fds[0]);
    ::shutdown(fds[0], SHUT_RDWR);
  });
  auto c = Connection::Connect(client->get(), fds[1], "pacs.example.org");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("certificate"), std::string::npos) << c.error().message;
  peer.join();
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(TlsTest, ClientFromAnotherCaIsRefused) {
  auto server = ServerContext({File("server.pem"), File("server.key"), File("ca.pem"), true});
  auto client = ClientContext({File("wrong.pem"), File("wrong.key"), File("ca.pem"), false});
  ASSERT_TRUE(server && client);
  auto handshake = ServerHandshake(server->get(), client->get());
  ASSERT_FALSE(handshake);
  EXPECT_NE(handshake.error().message.find("certificate"), std::string::npos) << handshake.error().message;
}

TEST_F(TlsTest, CommonNameOfDerReadsTheSubject) {
  EXPECT_EQ(CommonNameOfDer({}), "");
  FILE* file = std::fopen(File("client.pem").c_str(), "r");
  ASSERT_NE(file, nullptr);
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  ASSERT_NE(cert, nullptr);
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert, &der);
  EXPECT_EQ(CommonNameOfDer({der, static_cast<std::size_t>(length)}), "MODALITY1");
  OPENSSL_free(der);
  X509_free(cert);
}

}  // namespace
}  // namespace systole::tls
