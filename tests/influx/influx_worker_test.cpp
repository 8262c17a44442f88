// InfluxWorker with a scripted transport and a manual clock: records become points in the order
// they came, the queue is bounded (oldest dropped, counted), an outage is one event raised and one
// cleared, dropped points are reported with their counts, and what waits at stop is in the outbox
// for the next start.
#include "gateway/runtime/influx_worker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "gateway/control/messages.hpp"
#include "tests/influx/scripted_transport.hpp"
#include "tests/support/message_templates.hpp"

namespace emsgw::gateway {
namespace {

using influx::ScriptedTransport;
using std::chrono::seconds;
using testing::HasSubstr;

constexpr std::int64_t kBaseMs = 1'700'000'000'000;

/// Sample i: a 10 s bucket at kBase + 10 s·i with three grid currents (3 grid points, each with the limit).
storage::HistorySample bucket(int i) {
  storage::HistorySample s;
  s.time = storage::from_unix_ms(kBaseMs + 10'000LL * i);
  s.grid_current_a = {1.0 * i, 2.0 * i, 3.0 * i};
  s.grid_limit_a = 24;
  return s;
}

/// Timestamps (ms) of the lines of every request, in the order sent.
std::vector<std::int64_t> times_of(const std::vector<std::string>& requests) {
  std::vector<std::int64_t> out;
  for (const auto& r : requests) {
    std::size_t start = 0;
    while (start < r.size()) {
      auto end = r.find('\n', start);
      if (end == std::string::npos) end = r.size();
      const auto line = r.substr(start, end - start);
      out.push_back(std::stoll(line.substr(line.rfind(' ') + 1)));
      start = end + 1;
    }
  }
  return out;
}

/// The value of a message's parameter; "(absent)" when it has none of that name.
std::string param(const ems::Message& m, std::string_view name) {
  for (const auto& [n, v] : m.params)
    if (n == name) return v;
  return "(absent)";
}

std::vector<std::int64_t> grid_times(std::initializer_list<int> buckets) {
  std::vector<std::int64_t> out;
  for (int i : buckets)
    for (int phase = 0; phase < 3; ++phase) out.push_back(kBaseMs + 10'000LL * i);
  return out;
}

class InfluxWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.enabled = true;
    settings_.url = "http://127.0.0.1:1";
    settings_.database = "emsgw";
    settings_.precision = influx::Precision::Milliseconds;
    settings_.batch_lines = 1000;
    settings_.flush_interval_s = 1;
    settings_.retry_min_s = 1;
    settings_.retry_max_s = 4;
    settings_.outbox_max_points = 1000;
  }
  std::unique_ptr<InfluxWorker> make(const std::string& path = ":memory:",
                                     std::size_t capacity = InfluxWorker::kDefaultQueueCapacity) {
    auto db = InfluxWorker::open_outbox(path);
    EXPECT_TRUE(db) << (db ? "" : db.error().message);
    return std::make_unique<InfluxWorker>(
        settings_, std::move(db).value(), std::make_unique<ScriptedTransport>(net_), clock_,
        [this](storage::Event e) { events_.push_back(std::move(e)); }, capacity);
  }
  /// Lets `s` seconds pass, one step per second (as the worker's thread does).
  void run_for(InfluxWorker& w, int s) {
    for (int i = 0; i < s; ++i) {
      clock_.advance(seconds(1));
      w.step();
    }
  }

  influx::InfluxSettings settings_;
  std::shared_ptr<ScriptedTransport::Shared> net_ = std::make_shared<ScriptedTransport::Shared>();
  ems::ManualClock clock_{ems::MonoTime{} + std::chrono::hours(1), storage::from_unix_ms(kBaseMs)};
  std::vector<storage::Event> events_;
};

TEST_F(InfluxWorkerTest, RecordsBecomePointsInTheOrderTheyCame) {
  auto w = make();
  for (int i = 0; i < 5; ++i) w->on_history(bucket(i));
  w->on_decision({1, storage::from_unix_ms(kBaseMs + 50'000), 0, 16, 10, "grid-l1"});
  w->on_event({2, storage::from_unix_ms(kBaseMs + 51'000), storage::EventKind::FaultRaised, "meter.grid", "stale"});
  storage::Session session;
  session.socket = 0;
  session.start = storage::from_unix_ms(kBaseMs);
  session.end = storage::from_unix_ms(kBaseMs + 52'000);
  session.energy_wh = 120;
  w->on_session_end(session);
  w->step();
  EXPECT_TRUE(net_->sent().empty()) << "a batch waits flush_interval_s";
  run_for(*w, 1);
  const auto sent = net_->sent();
  ASSERT_EQ(sent.size(), 1U);
  auto expected = grid_times({0, 1, 2, 3, 4});
  for (std::int64_t ms : {50'000, 51'000, 52'000}) expected.push_back(kBaseMs + ms);
  EXPECT_EQ(times_of(sent), expected);
  EXPECT_THAT(sent[0], HasSubstr("grid,phase=L2 current_a=2,limit_a=24 1700000010000\n"));
  EXPECT_THAT(sent[0], HasSubstr("\ndecision,socket=0 "));
  EXPECT_THAT(sent[0], HasSubstr("\nevent,kind=fault_raised "));
  EXPECT_THAT(sent[0], HasSubstr("\nsession,socket=0 "));
  const auto s = w->stats();
  EXPECT_EQ(s.points_sent, 18U);
  EXPECT_EQ(s.outbox_lines, 0U);
  EXPECT_TRUE(events_.empty());
}

TEST_F(InfluxWorkerTest, AFullQueueDropsTheOldestRecordsCountsThemAndSaysSo) {
  auto w = make(":memory:", 3);
  for (int i = 0; i < 5; ++i) w->on_history(bucket(i));
  EXPECT_EQ(w->stats().queue_dropped, 2U);
  run_for(*w, 2);
  EXPECT_EQ(times_of(net_->sent()), grid_times({2, 3, 4}));
  ASSERT_EQ(events_.size(), 1U);
  EXPECT_EQ(events_[0].kind, storage::EventKind::FaultRaised);
  EXPECT_EQ(events_[0].subject, "influx");
  EXPECT_EQ(events_[0].text, "InfluxDB export dropped data: 2 records (export queue full)");
  EXPECT_EQ(events_[0].message.code, "influx_dropped_queue");
  EXPECT_EQ(test::render_english(events_[0].message), events_[0].text) << "the dashboard's template reads as the text";
}

TEST_F(InfluxWorkerTest, AnOutageIsOneEventRaisedAndOneClearedAndNothingIsLost) {
  auto w = make();
  net_->set_always(influx::kNoAnswer);
  for (int i = 0; i < 3; ++i) {
    w->on_history(bucket(i));
    run_for(*w, 2);
  }
  ASSERT_EQ(events_.size(), 1U) << "one event per transition, not per failed attempt";
  EXPECT_EQ(events_[0].kind, storage::EventKind::FaultRaised);
  EXPECT_EQ(events_[0].subject, "influx");
  EXPECT_THAT(events_[0].text, HasSubstr("unreachable (connection refused)"));
  EXPECT_THAT(events_[0].text, HasSubstr("3 points wait in the outbox"));
  EXPECT_EQ(events_[0].message.code, "influx_unreachable");
  EXPECT_EQ(param(events_[0].message, "error"), "connection refused");
  EXPECT_EQ(test::render_english(events_[0].message), events_[0].text);
  EXPECT_FALSE(w->stats().reachable);
  EXPECT_EQ(w->stats().outbox_lines, 9U);

  net_->set_always(std::nullopt);
  const auto failed = net_->sent().size();
  w->on_history(bucket(3));
  run_for(*w, 10);
  ASSERT_EQ(events_.size(), 2U);
  EXPECT_EQ(events_[1].kind, storage::EventKind::FaultCleared);
  EXPECT_THAT(events_[1].text, HasSubstr("reachable again"));
  EXPECT_EQ(events_[1].message.code, "influx_reachable");
  EXPECT_EQ(test::render_english(events_[1].message), events_[1].text);
  const auto sent = net_->sent();
  EXPECT_EQ(times_of({sent.begin() + static_cast<std::ptrdiff_t>(failed), sent.end()}), grid_times({0, 1, 2, 3}));
  const auto s = w->stats();
  EXPECT_TRUE(s.reachable);
  EXPECT_EQ(s.outbox_lines, 0U);
  EXPECT_EQ(s.pending_lines, 0U);
}

TEST_F(InfluxWorkerTest, RefusedPointsAreReportedWithTheirCountAtMostOncePerPeriod) {
  auto w = make();
  net_->answer(influx::k400);
  net_->answer(influx::k400);
  w->on_history(bucket(0));
  w->on_history(bucket(1));
  run_for(*w, 2);  // added, then sent flush_interval_s later
  ASSERT_EQ(events_.size(), 1U);
  EXPECT_EQ(events_[0].text, "InfluxDB export dropped data: 6 points refused by InfluxDB (4xx)");
  EXPECT_EQ(events_[0].message.code, "influx_dropped_rejected");
  EXPECT_EQ(test::render_english(events_[0].message), events_[0].text);
  w->on_history(bucket(2));
  run_for(*w, 2);
  EXPECT_EQ(w->stats().points_rejected, 9U);
  EXPECT_EQ(events_.size(), 1U) << "a second report within kDropReportPeriod";
  run_for(*w, 60);
  ASSERT_EQ(events_.size(), 2U);
  EXPECT_EQ(events_[1].text, "InfluxDB export dropped data: 3 points refused by InfluxDB (4xx)");
  EXPECT_TRUE(w->stats().reachable) << "a refusal is not an outage";
}

/// A file in a directory of this test process, removed when the process ends.
std::string temp_db(const std::string& name) {
  struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("emsgw-influx-worker-" + std::to_string(::getpid()));
    Dir() { std::filesystem::create_directories(path); }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return (dir.path / name).string();
}

TEST_F(InfluxWorkerTest, AFullOutboxDropsTheOldestPointsAndSaysHowManyOnceNotAgainAfterARestart) {
  settings_.outbox_max_points = 6;
  const auto path = temp_db("full.sqlite");
  {
    auto w = make(path);
    net_->set_always(influx::kNoAnswer);
    for (int i = 0; i < 4; ++i) w->on_history(bucket(i));
    run_for(*w, 2);
    ASSERT_EQ(events_.size(), 2U);
    EXPECT_THAT(events_[0].text, HasSubstr("unreachable"));
    EXPECT_EQ(events_[1].kind, storage::EventKind::FaultRaised);
    EXPECT_EQ(events_[1].text,
              "InfluxDB export dropped data: 6 oldest points (outbox full at influx.outbox_max_points = 6)");
    EXPECT_EQ(events_[1].message, gateway::msg::influx_dropped_outbox("6", "6"));
    EXPECT_EQ(test::render_english(events_[1].message), events_[1].text);
    EXPECT_EQ(w->stats().outbox_dropped, 6U);
    w->stop();
  }
  net_->set_always(std::nullopt);
  auto w = make(path);
  EXPECT_EQ(w->stats().outbox_dropped, 6U) << "a persistent counter";
  run_for(*w, 2);
  EXPECT_EQ(events_.size(), 2U) << "the drops of an earlier run were told then";
  EXPECT_EQ(times_of(net_->sent()).back(), kBaseMs + 30'000) << "the newest points were kept";
}

TEST_F(InfluxWorkerTest, WhatWaitsAtStopIsKeptInTheOutboxAndSentAfterARestart) {
  const auto path = temp_db("outbox.sqlite");
  {
    auto w = make(path);
    w->start();
    for (int i = 0; i < 4; ++i) w->on_history(bucket(i));
    w->stop();  // the clock has not moved: nothing was due, nothing was sent
    EXPECT_TRUE(net_->sent().empty());
    EXPECT_EQ(w->stats().outbox_lines, 12U);
  }
  {
    auto w = make(path);
    EXPECT_EQ(w->stats().outbox_lines, 12U);
    run_for(*w, 1);
    EXPECT_EQ(times_of(net_->sent()), grid_times({0, 1, 2, 3}));
    EXPECT_EQ(w->stats().outbox_lines, 0U);
  }
}

}  // namespace
}  // namespace emsgw::gateway
