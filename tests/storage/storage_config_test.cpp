// [storage] and [influx] in the config file: parsing, defaults and the validator's rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/config/config_test_util.hpp"

namespace emsgw::test {
namespace {

using gateway::influx::Precision;

gateway::Config load(const std::string& extra) {
  return gateway::load_config_text(issue_example() + "\n" + extra, "site.toml");
}

TEST(StorageConfig, DefaultsWithoutTheSections) {
  const auto c = load("");
  EXPECT_EQ(c.storage.path, "/var/lib/emsgw/emsgw.sqlite");
  EXPECT_TRUE(c.storage.sync_full);
  EXPECT_EQ(c.storage.history_10s_retention_h, 24);
  EXPECT_FALSE(c.influx.enabled);
}

TEST(StorageConfig, ReadsEveryStorageKey) {
  const auto c = load(R"(
[storage]
path = "/tmp/x.sqlite"
flush_interval_s = 60
synchronous = "normal"
history_10s_retention_h = 48
history_1min_retention_d = 60
history_15min_retention_d = 3650
log_retention_d = 90
)");
  EXPECT_EQ(c.storage.path, "/tmp/x.sqlite");
  EXPECT_EQ(c.storage.flush_interval_s, 60);
  EXPECT_FALSE(c.storage.sync_full);
  EXPECT_EQ(c.storage.history_10s_retention_h, 48);
  EXPECT_EQ(c.storage.history_1min_retention_d, 60);
  EXPECT_EQ(c.storage.history_15min_retention_d, 3650);
  EXPECT_EQ(c.storage.log_retention_d, 90);
}

TEST(StorageConfig, ReadsInfluxV1AndV2) {
  auto c = load(R"(
[influx]
url = "http://127.0.0.1:8086"
database = "emsgw"
retention_policy = "one_year"
precision = "s"
batch_lines = 1000
)");
  EXPECT_TRUE(c.influx.enabled);
  EXPECT_EQ(c.influx.version, 1);
  EXPECT_EQ(c.influx.database, "emsgw");
  EXPECT_EQ(c.influx.retention_policy, "one_year");
  EXPECT_EQ(c.influx.precision, Precision::Seconds);
  EXPECT_EQ(c.influx.batch_lines, 1000);
  EXPECT_TRUE(c.influx.gzip);

  c = load(R"(
[influx]
url = "https://influx.example:8086"
version = 2
org = "home"
bucket = "ems"
token = "secret"
gzip = false
outbox_max_points = 5000
)");
  EXPECT_EQ(c.influx.version, 2);
  EXPECT_EQ(c.influx.org, "home");
  EXPECT_EQ(c.influx.bucket, "ems");
  EXPECT_EQ(c.influx.token, "secret");
  EXPECT_FALSE(c.influx.gzip);
  EXPECT_EQ(c.influx.outbox_max_points, 5000);
}

TEST(StorageConfig, UnknownKeysAndBadChoicesAreReported) {
  const auto errors = errors_of(issue_example() + R"(
[storage]
pathh = "/x"
synchronous = "sometimes"
[influx]
url = "http://h:8086"
database = "d"
precision = "minutes"
)");
  EXPECT_EQ(error_for(errors, "storage.pathh").rule.empty(), false);
  EXPECT_THAT(error_for(errors, "storage.synchronous").rule, testing::HasSubstr("full, normal"));
  EXPECT_THAT(error_for(errors, "influx.precision").rule, testing::HasSubstr("s, ms, us, ns"));
}

TEST(StorageConfig, ValidatorChecksRangesAndRequiredKeys) {
  auto errors = errors_of(issue_example() + R"(
[storage]
flush_interval_s = 0
history_10s_retention_h = 100
history_1min_retention_d = 2
[influx]
url = "influx:8086"
version = 2
org = "home"
batch_lines = 20000
retry_min_s = 10
retry_max_s = 5
)");
  EXPECT_THAT(error_for(errors, "storage.flush_interval_s").rule, testing::HasSubstr("between 1 and 3600"));
  EXPECT_THAT(error_for(errors, "storage.history_1min_retention_d").rule, testing::HasSubstr("cover"));
  EXPECT_THAT(error_for(errors, "influx.url").rule, testing::HasSubstr("http://"));
  EXPECT_THAT(error_for(errors, "influx.bucket").rule, testing::HasSubstr("version = 2"));
  EXPECT_THAT(error_for(errors, "influx.token").rule, testing::HasSubstr("version = 2"));
  EXPECT_THAT(error_for(errors, "influx.batch_lines").rule, testing::HasSubstr("between 1 and 10000"));
  EXPECT_THAT(error_for(errors, "influx.retry_max_s").rule, testing::HasSubstr("between 10 and 86400"));

  errors = errors_of(issue_example() + "\n[influx]\nurl = \"http://h:8086\"\nversion = 3\n");
  EXPECT_THAT(error_for(errors, "influx.version").rule, testing::HasSubstr("1 (/write) or 2"));
  errors = errors_of(issue_example() + "\n[influx]\nurl = \"http://h:8086\"\n");
  EXPECT_THAT(error_for(errors, "influx.database").rule, testing::HasSubstr("version = 1"));
  // A disabled section is not checked further.
  EXPECT_TRUE(errors_of(issue_example() + "\n[influx]\nenabled = false\nurl = \"x\"\n").empty());
}

TEST(StorageConfig, InfluxWithoutStorageIsRefusedBecauseTheOutboxLivesInTheStorageFile) {
  const std::string influx = "\n[influx]\nurl = \"http://h:8086\"\ndatabase = \"emsgw\"\n";
  auto errors = errors_of(issue_example() + "\n[storage]\npath = \"\"\n" + influx);
  const auto e = error_for(errors, "influx.enabled");
  EXPECT_EQ(e.value, "true");
  EXPECT_THAT(e.rule, testing::HasSubstr("needs [storage] path"));
  EXPECT_THAT(e.rule, testing::HasSubstr("outbox"));
  errors = errors_of(issue_example() + "\n[storage]\npath = \"/tmp/x.sqlite\"\n" + influx);
  EXPECT_TRUE(errors.empty()) << errors.front().format();
}

}  // namespace
}  // namespace emsgw::test
