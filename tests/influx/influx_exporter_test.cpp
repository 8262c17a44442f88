// InfluxExporter with a scripted transport and a manual time: batching, outbox, order, back-off,
// Retry-After, 4xx drop, bounded outbox, restart.
#include "gateway/influx/influx_exporter.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "gateway/storage/migrations.hpp"
#include "tests/influx/scripted_transport.hpp"

namespace emsgw::gateway::influx {
namespace {

using std::chrono::seconds;

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::Database::open(":memory:");
    ASSERT_TRUE(db);
    db_ = std::move(db).value();
    ASSERT_TRUE(storage::migrate(db_));
    settings_.url = "http://127.0.0.1:1";
    settings_.database = "emsgw";
    settings_.batch_lines = 3;
    settings_.flush_interval_s = 10;
    settings_.retry_min_s = 1;
    settings_.retry_max_s = 8;
    settings_.precision = Precision::Seconds;
  }
  std::unique_ptr<InfluxExporter> make() {
    return std::make_unique<InfluxExporter>(settings_, db_, std::make_unique<ScriptedTransport>(net_));
  }
  static Point point(int i) {
    return {"grid", {{"phase", "L1"}}, {{"power_w", static_cast<double>(i)}}, ems::WallTime(seconds(1000 + i))};
  }
  static std::string text(int i) {
    return "grid,phase=L1 power_w=" + std::to_string(i) + " " + std::to_string(1000 + i);
  }
  static std::string lines(std::initializer_list<int> ids) {
    std::string s;
    for (int i : ids) s += (s.empty() ? "" : "\n") + text(i);
    return s;
  }
  void add(InfluxExporter& e, int from, int to) {
    for (int i = from; i <= to; ++i) ASSERT_TRUE(e.add(point(i), now_));
  }

  storage::Database db_;
  InfluxSettings settings_;
  std::shared_ptr<ScriptedTransport::Shared> net_ = std::make_shared<ScriptedTransport::Shared>();
  ems::MonoTime now_{};
};

TEST_F(ExporterTest, SendsWhenTheBatchIsFull) {
  auto e = make();
  add(*e, 1, 2);
  e->tick(now_);
  EXPECT_TRUE(net_->requests.empty());
  add(*e, 3, 3);
  e->tick(now_);
  ASSERT_EQ(net_->requests.size(), 1u);
  EXPECT_EQ(net_->requests[0], lines({1, 2, 3}));
  EXPECT_EQ(e->stats().points_sent, 3u);
}

TEST_F(ExporterTest, SendsWhenTheOldestLineIsFlushIntervalOld) {
  auto e = make();
  add(*e, 1, 1);
  now_ += seconds(5);
  add(*e, 2, 2);
  now_ += seconds(4);
  e->tick(now_);
  EXPECT_TRUE(net_->requests.empty());
  now_ += seconds(1);
  e->tick(now_);
  ASSERT_EQ(net_->requests.size(), 1u);
  EXPECT_EQ(net_->requests[0], lines({1, 2}));
}

TEST_F(ExporterTest, OutageQueuesInTheOutboxAndReplaysInOrder) {
  auto e = make();
  net_->script = {kNoAnswer};
  add(*e, 1, 3);
  e->tick(now_);  // fails → outbox
  auto s = e->stats();
  EXPECT_FALSE(s.reachable);
  EXPECT_EQ(s.outbox_lines, 3u);
  EXPECT_EQ(s.failed_attempts, 1u);
  add(*e, 4, 6);
  e->tick(now_);  // back-off running: queued behind, not sent
  EXPECT_EQ(net_->requests.size(), 1u);
  EXPECT_EQ(e->stats().outbox_lines, 6u);
  add(*e, 7, 7);
  now_ += seconds(1);
  e->tick(now_);  // back-off over: replay oldest first
  ASSERT_EQ(net_->requests.size(), 3u);
  EXPECT_EQ(net_->requests[1], lines({1, 2, 3}));
  EXPECT_EQ(net_->requests[2], lines({4, 5, 6}));
  now_ += seconds(10);
  e->tick(now_);
  ASSERT_EQ(net_->requests.size(), 4u);
  EXPECT_EQ(net_->requests[3], lines({7}));
  s = e->stats();
  EXPECT_TRUE(s.reachable);
  EXPECT_EQ(s.points_sent, 7u);
  EXPECT_EQ(s.outbox_lines, 0u);
}

TEST_F(ExporterTest, BackOffDoublesUpToTheMaximum) {
  auto e = make();
  net_->script = {k503, k503, k503, k503, k503};
  add(*e, 1, 3);
  e->tick(now_);  // attempt 1 → wait 1 s
  std::vector<int> attempt_at;
  for (int t = 1; t <= 40; ++t) {
    const auto before = net_->requests.size();
    e->tick(now_ + seconds(t));
    if (net_->requests.size() > before) attempt_at.push_back(t);
  }
  // Waits 1, 2, 4, 8, 8 (max) → attempts at 1, 3, 7, 15, 23; the last one succeeds.
  EXPECT_EQ(attempt_at, (std::vector<int>{1, 3, 7, 15, 23}));
  EXPECT_EQ(e->stats().points_sent, 3u);
}

TEST_F(ExporterTest, RetryAfterIsHonoured) {
  auto e = make();
  net_->script = {WriteResponse{429, 30, "slow down"}};
  add(*e, 1, 3);
  e->tick(now_);
  e->tick(now_ + seconds(29));
  EXPECT_EQ(net_->requests.size(), 1u);
  e->tick(now_ + seconds(30));
  EXPECT_EQ(net_->requests.size(), 2u);
  EXPECT_EQ(e->stats().points_sent, 3u);
}

TEST_F(ExporterTest, A4xxDropsTheBatchAndCountsIt) {
  auto e = make();
  net_->script = {WriteResponse{400, std::nullopt, "{\"error\":\"field type conflict\"}"}};
  add(*e, 1, 3);
  e->tick(now_);
  auto s = e->stats();
  EXPECT_EQ(s.points_rejected, 3u);
  EXPECT_EQ(s.outbox_lines, 0u);
  EXPECT_TRUE(s.reachable);
  EXPECT_NE(s.last_error.find("400"), std::string::npos);
  Outbox o(db_, 100);
  EXPECT_EQ(*o.counter(Outbox::kRejectedCounter), 3);
  add(*e, 4, 6);  // no back-off after a 4xx: the next batch goes at once
  e->tick(now_);
  ASSERT_EQ(net_->requests.size(), 2u);
  EXPECT_EQ(net_->requests[1], lines({4, 5, 6}));
}

TEST_F(ExporterTest, TheOutboxIsBoundedAndCountsWhatItDrops) {
  settings_.outbox_max_points = 5;
  auto e = make();
  net_->script = {kNoAnswer};
  for (int b = 0; b < 4; ++b) {
    add(*e, 3 * b + 1, 3 * b + 3);
    e->tick(now_);
  }
  auto s = e->stats();
  EXPECT_EQ(s.outbox_lines, 5u);
  EXPECT_EQ(s.outbox_dropped, 7u);
  now_ += seconds(100);
  e->tick(now_);
  ASSERT_EQ(net_->requests.size(), 3u);  // one failed attempt, then two batches of the newest 5
  EXPECT_EQ(net_->requests[1], lines({8, 9, 10}));
  EXPECT_EQ(net_->requests[2], lines({11, 12}));
}

TEST_F(ExporterTest, WhenTheOutboxCannotBeWrittenPointsWaitInMemoryWithinTheBound) {
  settings_.outbox_max_points = 4;
  auto e = make();
  net_->script = {kNoAnswer};
  ASSERT_TRUE(db_.exec("PRAGMA query_only = ON"));  // the outbox refuses writes
  add(*e, 1, 3);
  e->tick(now_);
  add(*e, 4, 6);
  e->tick(now_);
  auto s = e->stats();
  EXPECT_EQ(s.pending_lines, 4u);
  EXPECT_EQ(s.memory_dropped, 2u);
  ASSERT_TRUE(db_.exec("PRAGMA query_only = OFF"));
  now_ += seconds(5);
  e->tick(now_);
  ASSERT_EQ(net_->requests.size(), 2u);
  EXPECT_EQ(net_->requests[1], lines({3, 4, 5, 6}));  // the newest 4, in order
}

TEST_F(ExporterTest, PointsSurviveARestart) {
  {
    auto e = make();
    net_->script = {kNoAnswer};
    add(*e, 1, 3);
    e->tick(now_);
    add(*e, 4, 4);  // still in memory
    ASSERT_TRUE(e->persist_pending());
  }
  auto e = make();  // a new process on the same database
  e->tick(now_);
  ASSERT_EQ(net_->requests.size(), 3u);
  EXPECT_EQ(net_->requests[1], lines({1, 2, 3}));
  EXPECT_EQ(net_->requests[2], lines({4}));
}

TEST_F(ExporterTest, UnencodablePointsAreRefusedAndCounted) {
  auto e = make();
  EXPECT_FALSE(e->add({"_bad", {}, {{"v", 1.0}}, {}}, now_));
  EXPECT_EQ(e->stats().points_refused, 1u);
  EXPECT_EQ(e->stats().pending_lines, 0u);
}

TEST(WriteResponse, SortsStatusesIntoRetryAndDrop) {
  EXPECT_TRUE((WriteResponse{0, {}, {}}.retryable()));
  EXPECT_TRUE((WriteResponse{500, {}, {}}.retryable()));
  EXPECT_TRUE((WriteResponse{503, {}, {}}.retryable()));
  EXPECT_TRUE((WriteResponse{429, {}, {}}.retryable()));
  EXPECT_FALSE((WriteResponse{400, {}, {}}.retryable()));
  EXPECT_FALSE((WriteResponse{404, {}, {}}.retryable()));
  EXPECT_TRUE((WriteResponse{204, {}, {}}.ok()));
  EXPECT_EQ(parse_retry_after("120"), 120);
  EXPECT_EQ(parse_retry_after(" 5 "), 5);
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
}

}  // namespace
}  // namespace emsgw::gateway::influx
