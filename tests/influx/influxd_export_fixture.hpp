#pragma once
// A test fixture with a real influxd (database "emsgw"), an in-memory storage file for the outbox and
// export settings pointing at that influxd (v1 API, milliseconds, gzip, short retries).
#include <gtest/gtest.h>

#include "gateway/influx/influx_exporter.hpp"
#include "gateway/storage/migrations.hpp"
#include "tests/influx/influxd_fixture.hpp"

namespace emsgw::gateway::influx {

class InfluxdExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(influxd_.start()) << influxd_.log();
    ASSERT_TRUE(influxd_.create_database("emsgw"));
    auto db = storage::Database::open(":memory:");
    ASSERT_TRUE(db);
    db_ = std::move(db).value();
    ASSERT_TRUE(storage::migrate(db_));
    settings_.enabled = true;
    settings_.url = influxd_.url();
    settings_.version = 1;
    settings_.database = "emsgw";
    settings_.precision = Precision::Milliseconds;
    settings_.gzip = true;
    settings_.batch_lines = 50;
    settings_.flush_interval_s = 1;
    settings_.retry_min_s = 1;
    settings_.retry_max_s = 2;
    settings_.timeout_ms = 2000;
  }
  /// Ticks with time moving on until nothing waits any more.
  void drain(InfluxExporter& e) {
    for (int i = 0; i < 100; ++i) {
      now_ += std::chrono::seconds(2);
      e.tick(now_);
      const auto s = e.stats();
      if (s.outbox_lines == 0 && s.pending_lines == 0) return;
    }
    FAIL() << "export did not drain: " << e.stats().last_error;
  }

  test::Influxd influxd_;
  storage::Database db_;
  InfluxSettings settings_;
  ems::MonoTime now_{};
};

}  // namespace emsgw::gateway::influx
