// For tests: a throw-away PKI made with the openssl CLI in a temporary directory —
// ca.pem/key, server.pem/key (CN localhost, SAN DNS:localhost, IP:127.0.0.1),
// client.pem/key (CN MODALITY1, signed by ca) and wrong.pem/key (CN MODALITY1,
// signed by another CA). Removed when the object goes.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace systole::tls {

class TestCertificates {
 public:
  TestCertificates() {
    dir_ = std::filesystem::temp_directory_path() / ("systole-certs-" + std::to_string(::getpid()) + "-" +
                                                       std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
    const std::string q = " 2>/dev/null && ";
    const std::string script =
        "cd " + dir_.string() + " && "
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=TestCA -keyout ca.key -out ca.pem" + q +
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=OtherCA -keyout otherca.key -out otherca.pem" + q +
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr" + q +
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext "
        "-out server.pem" + q +
        "openssl req -newkey rsa:2048 -nodes -subj /CN=MODALITY1 -keyout client.key -out client.csr" + q +
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem" + q +
        "openssl req -newkey rsa:2048 -nodes -subj /CN=MODALITY1 -keyout wrong.key -out wrong.csr" + q +
        "openssl x509 -req -in wrong.csr -CA otherca.pem -CAkey otherca.key -CAcreateserial -days 2 -out wrong.pem"
        " 2>/dev/null";
    ok_ = std::system(script.c_str()) == 0;
  }
  ~TestCertificates() { std::filesystem::remove_all(dir_); }
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  bool ok() const { return ok_; }
  std::filesystem::path File(const char* name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

}  // namespace systole::tls
