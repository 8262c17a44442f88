// The [web] section through the one config loader and validator, and `emsgw set-password`.
#include <gtest/gtest.h>

#include "gateway/config/config.hpp"
#include "tests/support/process.hpp"
#include "webui/password_store.hpp"

namespace emsgw::gateway {
namespace {

std::string example_with(const std::string& web) {
  return test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml") + "\n" + web;
}

std::vector<ConfigError> errors_of(const std::string& text) {
  try {
    (void)load_config_text(text, "web.toml");
  } catch (const ConfigLoadError& e) {
    return e.errors();
  }
  return {};
}

TEST(WebConfig, DefaultsWithoutTheSection) {
  const auto c = load_config_text(example_with(""), "web.toml");
  EXPECT_EQ(c.web.listen.host, "127.0.0.1");
  EXPECT_EQ(c.web.listen.port, 8080);
  EXPECT_FALSE(c.web.read_requires_login);
  EXPECT_TRUE(c.web.tls_cert_file.empty());
  EXPECT_EQ(c.web.password_file, "/var/lib/emsgw/web-password");
}

TEST(WebConfig, ReadsEveryKey) {
  const auto cert = test::write_temp_file("cert.pem", "x");
  const auto key = test::write_temp_file("key.pem", "x");
  const auto c =
      load_config_text(example_with("[web]\nlisten = \":8443\"\ntls_cert = \"" + cert + "\"\ntls_key = \"" + key +
                                    "\"\nread_requires_login = true\npassword_file = \"/tmp/pw\"\n"
                                    "session_ttl_s = 600\nlogin_attempts = 3\nlogin_window_s = 120\n"),
                       "web.toml");
  EXPECT_EQ(c.web.listen.host, "0.0.0.0");
  EXPECT_EQ(c.web.listen.port, 8443);
  EXPECT_EQ(c.web.tls_cert_file, cert);
  EXPECT_TRUE(c.web.read_requires_login);
  EXPECT_EQ(c.web.password_file, "/tmp/pw");
  EXPECT_EQ(c.web.session_ttl_s, 600);
  EXPECT_EQ(c.web.login_attempts, 3);
  EXPECT_EQ(c.web.login_window_s, 120);
}

TEST(WebConfig, RefusesABadListenAddressWithItsLine) {
  const auto errors = errors_of(example_with("[web]\nlisten = \"localhost\"\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "web.listen");
  EXPECT_GT(errors[0].line, 0);
  EXPECT_NE(errors[0].rule.find("HOST:PORT"), std::string::npos);
}

TEST(WebConfig, TlsNeedsBothReadableFiles) {
  auto errors = errors_of(example_with("[web]\ntls_cert = \"/nonexistent/cert.pem\"\n"));
  ASSERT_GE(errors.size(), 2u);
  EXPECT_EQ(errors[0].key, "web.tls_key");
  EXPECT_EQ(errors[1].key, "web.tls_cert");
  EXPECT_NE(errors[1].rule.find("cannot be read"), std::string::npos);
}

TEST(WebConfig, UnknownKeysAreReported) {
  const auto errors = errors_of(example_with("[web]\nlisten_port = 8080\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "web.listen_port");
}

TEST(WebConfig, ExampleConfigDocumentsTheSectionAndPasses) {
  const auto text = test::read_file(std::string(EMSGW_SOURCE_DIR) + "/deploy/emsgw.example.toml");
  EXPECT_NE(text.find("[web]"), std::string::npos);
  const auto c = load_config_text(text, "emsgw.example.toml");
  EXPECT_EQ(c.web.listen.port, 8080);
}

TEST(SetPasswordCommand, WritesAnArgon2HashThatVerifies) {
  const auto path = test::write_temp_file("set-password-hash", "");
  auto r = test::run_command("echo 'a long enough password' | " + test::built("gateway/emsgw") +
                             " set-password --file " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(webui::PasswordStore(path).verify("a long enough password"));
  r = test::run_command("echo 'short' | " + test::built("gateway/emsgw") + " set-password --file " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("at least 8"), std::string::npos);
  EXPECT_TRUE(webui::PasswordStore(path).verify("a long enough password")) << "a refused password changes nothing";
}

}  // namespace
}  // namespace emsgw::gateway
