#include "webui/password_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/process.hpp"

namespace emsgw::webui {
namespace {

TEST(PasswordStore, StoresAnArgon2HashNotThePassword) {
  const auto path = test::write_temp_file("web-password", "");
  PasswordStore store(path);
  EXPECT_FALSE(store.is_set());
  ASSERT_TRUE(store.set("correct horse"));
  EXPECT_TRUE(store.is_set());
  const auto text = test::read_file(path);
  EXPECT_EQ(text.rfind("$argon2id$", 0), 0u) << text;
  EXPECT_EQ(text.find("correct horse"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(store.verify("correct horse"));
  EXPECT_FALSE(store.verify("correct horse "));
  EXPECT_TRUE(PasswordStore(path).verify("correct horse")) << "a second reader sees the same file";
}

TEST(PasswordStore, RefusesShortPasswords) {
  PasswordStore store("");
  auto r = store.set("short");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("at least 8"), std::string::npos);
  EXPECT_FALSE(store.is_set());
}

TEST(PasswordStore, MemoryOnlyStoreWorksWithoutAFile) {
  PasswordStore store("");
  ASSERT_TRUE(store.set("password1"));
  EXPECT_TRUE(store.verify("password1"));
  EXPECT_FALSE(store.verify("password2"));
}

TEST(PasswordStore, AGarbledHashVerifiesNothing) {
  EXPECT_FALSE(verify_password("not a hash", "anything"));
  EXPECT_FALSE(verify_password("", ""));
}

}  // namespace
}  // namespace emsgw::webui
