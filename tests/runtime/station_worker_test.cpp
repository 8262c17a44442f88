// The station worker's duties, on a manual clock: validity refresh (design.md §2.5), the lease that
// lets a hung controller's set-points lapse, cuts before raises (§2.3), retries, missed refreshes.
#include "gateway/devices/station_worker.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "tests/runtime/fake_station_device.hpp"

namespace emsgw::gateway {
namespace {

using ems::Millis;
using test::FakeStationDevice;

struct WorkerRig {
  ems::ManualClock clock{ems::MonoTime{} + std::chrono::hours(1)};
  FakeStationDevice* device = nullptr;
  std::vector<WriteReport> reports;
  std::vector<StationSample> samples;
  std::unique_ptr<StationWorker> worker;

  explicit WorkerRig(double validity_s = 10, StationWorker::Options options = {}) {
    auto dev = std::make_unique<FakeStationDevice>(clock, std::vector<int>{1, 2}, validity_s);
    device = dev.get();
    worker = std::make_unique<StationWorker>(
        0, std::move(dev), clock, options, [this](std::size_t, StationSample s) { samples.push_back(std::move(s)); },
        [this](WriteReport r) { reports.push_back(r); });
  }
  // Runs the worker for `duration` in steps of `tick`, affirming the lease each tick when asked.
  void run_for(Millis duration, Millis tick, bool affirm) {
    for (Millis t{0}; t < duration; t += tick) {
      if (affirm) worker->affirm();
      worker->run_once(clock.mono_now());
      clock.advance(tick);
    }
  }
};

TEST(StationWorker, WritesANewSetPointAtOnce) {
  WorkerRig rig;
  rig.worker->set_desired(1, 16, 3);
  rig.worker->run_once(rig.clock.mono_now());
  const auto w = rig.device->writes();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].unit, 1);
  EXPECT_EQ(w[0].amps, 16);
  ASSERT_EQ(rig.reports.size(), 1u);
  EXPECT_TRUE(rig.reports[0].outcome.accepted);
}

TEST(StationWorker, RefreshesAnUnchangedSetPointBeforeItsValidityRunsOutForMinutes) {
  StationWorker::Options o;
  o.refresh_margin_s = 3;
  o.poll_interval = Millis(1000);
  WorkerRig rig(10, o);
  rig.worker->set_desired(1, 16, 3);
  rig.worker->set_desired(2, 10, 3);
  double least_remaining = 1e9;
  for (int i = 0; i < 5 * 60 * 10; ++i) {  // five minutes in 100 ms ticks
    rig.worker->affirm();
    rig.worker->run_once(rig.clock.mono_now());
    least_remaining = std::min({least_remaining, rig.device->remaining_validity(1), rig.device->remaining_validity(2)});
    rig.clock.advance(Millis(100));
  }
  EXPECT_GT(least_remaining, 2.0) << "a set-point came within 2 s of expiry";
  const auto stats = rig.worker->stats();
  EXPECT_EQ(stats.missed_refreshes, 0u);
  // About one refresh per socket every 7 s: 300 s / 7 s ≈ 43 each, never a write per tick.
  EXPECT_GE(stats.refreshes, 2u * 40u);
  EXPECT_LE(stats.refreshes, 2u * 50u);
}

TEST(StationWorker, StopsRefreshingWhenTheControlLoopStopsAffirming) {
  StationWorker::Options o;
  o.refresh_margin_s = 3;
  o.lease = Millis(5000);
  WorkerRig rig(10, o);
  rig.worker->set_desired(1, 16, 3);
  rig.run_for(Millis(20000), Millis(100), /*affirm=*/true);
  const auto writes_before = rig.device->writes().size();
  rig.run_for(Millis(30000), Millis(100), /*affirm=*/false);
  // At most one refresh inside the 5 s lease, then silence: the station falls back on its own.
  EXPECT_LE(rig.device->writes().size(), writes_before + 1);
  EXPECT_EQ(rig.device->remaining_validity(1), 0);
  EXPECT_EQ(rig.worker->stats().missed_refreshes, 0u) << "an intended lapse is not a missed refresh";
}

TEST(StationWorker, WritesCutsBeforeRaisesInOnePass) {
  WorkerRig rig;
  rig.worker->set_desired(1, 6, 3);
  rig.worker->set_desired(2, 16, 3);
  rig.worker->run_once(rig.clock.mono_now());
  rig.clock.advance(Millis(100));
  // Now unit 2 is cut and unit 1 raised in the same breath.
  rig.worker->set_desired(1, 16, 3);
  rig.worker->set_desired(2, 6, 3);
  rig.worker->run_once(rig.clock.mono_now());
  const auto w = rig.device->writes();
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[2].unit, 2);
  EXPECT_EQ(w[2].amps, 6);
  EXPECT_EQ(w[3].unit, 1);
  EXPECT_EQ(w[3].amps, 16);
}

TEST(StationWorker, RetriesAFailedWriteAfterTheRetryDelayNotInATightLoop) {
  StationWorker::Options o;
  o.retry_after = Millis(500);
  WorkerRig rig(10, o);
  rig.device->fail_next_writes(2);
  rig.worker->set_desired(1, 16, 3);
  rig.run_for(Millis(400), Millis(50), true);
  EXPECT_EQ(rig.device->writes().size(), 1u);
  rig.run_for(Millis(1200), Millis(50), true);
  const auto w = rig.device->writes();
  ASSERT_EQ(w.size(), 3u);  // fail, fail, success
  EXPECT_EQ(rig.worker->stats().write_failures, 2u);
  EXPECT_GT(rig.device->remaining_validity(1), 0);
}

TEST(StationWorker, RewritesAfterTheStationComesBack) {
  StationWorker::Options o;
  o.refresh_margin_s = 3;
  WorkerRig rig(10, o);
  rig.worker->set_desired(1, 16, 3);
  rig.worker->run_once(rig.clock.mono_now());
  // The station goes silent for 15 s (writes and polls fail), longer than the validity.
  rig.device->set_online(false);
  rig.run_for(Millis(15000), Millis(100), true);
  rig.device->set_online(true);
  rig.run_for(Millis(2000), Millis(100), true);
  EXPECT_GE(rig.worker->stats().write_failures, 1u);
  EXPECT_GT(rig.device->remaining_validity(1), 5) << "set-point written again once the station answered";
}

TEST(StationWorker, SeesAnExpiredSetPointAsAMissedRefresh) {
  StationWorker::Options o;
  o.refresh_margin_s = 3;
  WorkerRig rig(10, o);
  rig.worker->set_desired(1, 16, 3);
  rig.worker->run_once(rig.clock.mono_now());
  // Writes are "lost" (the device says ok but the validity keeps counting: a second master
  // overwriting, or the station rebooting): emulate by refusing to accept.
  rig.device->set_accept(false);
  rig.run_for(Millis(12000), Millis(250), true);
  EXPECT_GE(rig.worker->stats().not_accepted, 1u);
  EXPECT_EQ(rig.worker->stats().missed_refreshes, 1u) << "seen once, not once per poll";
}

TEST(StationWorker, WritesPhasesOnlyWhileTheSocketIsPaused) {
  WorkerRig rig;
  rig.worker->set_desired(1, 16, 3);
  rig.worker->run_once(rig.clock.mono_now());
  rig.worker->set_desired(1, 16, 1);  // allocator asks for one phase but has not paused: no 1215
  rig.run_for(Millis(1000), Millis(100), true);
  for (const auto& w : rig.device->writes()) EXPECT_FALSE(w.phases);
  rig.worker->set_desired(1, 0, 1);  // paused: now 1215 follows the 0 A write
  rig.run_for(Millis(1000), Millis(100), true);
  const auto w = rig.device->writes();
  ASSERT_GE(w.size(), 3u);
  EXPECT_EQ(w[w.size() - 2].amps, 0);
  EXPECT_TRUE(w.back().phases);
  EXPECT_EQ(w.back().amps, 1);
}

TEST(StationWorker, AStationThatRefusesPhaseSwitchingIsAskedOnlyOnce) {
  WorkerRig rig;
  rig.device->allow_phase_switching_ = false;
  rig.worker->set_desired(1, 0, 3);
  rig.worker->run_once(rig.clock.mono_now());
  rig.worker->set_desired(1, 0, 1);
  rig.run_for(Millis(5000), Millis(100), true);
  int phase_writes = 0;
  for (const auto& w : rig.device->writes()) phase_writes += w.phases ? 1 : 0;
  EXPECT_EQ(phase_writes, 1);
  bool reported = false;
  for (const auto& r : rig.reports) reported = reported || (r.kind == WriteKind::Phases && r.outcome.permanent);
  EXPECT_TRUE(reported);
}

TEST(StationWorker, ScnBudgetIsWrittenAndRefreshedFromItsTimers) {
  StationWorker::Options o;
  o.refresh_margin_s = 3;
  WorkerRig rig(10, o);
  rig.worker->set_desired_scn({20, 18, 24});
  rig.run_for(Millis(30000), Millis(100), true);
  const auto w = rig.device->scn_writes();
  ASSERT_GE(w.size(), 4u);  // the first write and a refresh about every 7 s
  EXPECT_EQ(w[0], (std::array<double, 3>{20, 18, 24}));
  EXPECT_EQ(w.back(), (std::array<double, 3>{20, 18, 24}));
}

TEST(StationWorker, PollsAtItsIntervalAndReportsSamples) {
  StationWorker::Options o;
  o.poll_interval = Millis(1000);
  WorkerRig rig(10, o);
  rig.run_for(Millis(5000), Millis(100), true);
  EXPECT_EQ(rig.samples.size(), 5u);
  EXPECT_TRUE(rig.samples.back().ok);
}

}  // namespace
}  // namespace emsgw::gateway

namespace emsgw::gateway {
namespace {
TEST(StationWorker, AShortStationValidityIsRefreshedAtHalfItsLengthNotOnEveryPass) {
  StationWorker::Options o;
  o.refresh_margin_s = 20;  // larger than the station's whole 10 s validity
  WorkerRig rig(10, o);
  rig.worker->set_desired(1, 16, 3);
  rig.run_for(Millis(60000), Millis(100), true);
  const auto stats = rig.worker->stats();
  EXPECT_GE(stats.refreshes, 10u);
  EXPECT_LE(stats.refreshes, 13u) << "about one refresh every 5 s";
  EXPECT_EQ(stats.missed_refreshes, 0u);
}
}  // namespace
}  // namespace emsgw::gateway

// Confirmation that acts, cuts that never wait for a poll, and the write sequence (design.md §2.9,
// §4 "a poll must never delay a cut").
namespace emsgw::gateway {
namespace {

TEST(StationWorker, ASetPointAnotherMasterWroteIsRewrittenInThePollThatSeesItAndReported) {
  StationWorker::Options o;
  o.poll_interval = Millis(500);
  WorkerRig rig(60, o);
  rig.worker->set_desired(1, 8, 3);
  rig.run_for(Millis(2000), Millis(100), true);
  ASSERT_EQ(rig.device->writes().back().amps, 8);
  const auto writes_before = rig.device->writes().size();
  rig.device->foreign_write(1, 16);
  const auto at = rig.clock.mono_now();
  rig.run_for(Millis(600), Millis(100), true);  // one poll period
  const auto w = rig.device->writes();
  ASSERT_GT(w.size(), writes_before) << "the foreign set-point was not rewritten";
  EXPECT_EQ(w[writes_before].amps, 8);
  EXPECT_LE(w[writes_before].at - at, Millis(500)) << "rewritten in the poll that saw it";
  ASSERT_FALSE(rig.samples.empty());
  bool reported = false;
  for (const auto& s : rig.samples)
    for (const auto& f : s.foreign) {
      reported = true;
      EXPECT_EQ(f.unit, 1);
      EXPECT_EQ(f.ours_a, 8);
      EXPECT_EQ(f.seen_a, 16.0);
    }
  EXPECT_TRUE(reported);
  EXPECT_EQ(rig.worker->stats().foreign_setpoints, 1u);
  // Once corrected, the next polls find nothing foreign.
  rig.samples.clear();
  rig.run_for(Millis(3000), Millis(100), true);
  for (const auto& s : rig.samples) EXPECT_TRUE(s.foreign.empty());
  EXPECT_EQ(rig.worker->stats().foreign_setpoints, 1u);
}

TEST(StationWorker, AStationOverrideAbove1206IsSeenOnlyAfterTheStationHadTimeToApplyTheWrite) {
  StationWorker::Options o;
  o.poll_interval = Millis(500);
  o.applied_settle = Millis(2000);
  WorkerRig rig(60, o);
  rig.device->set_override(1, 16);
  rig.worker->set_desired(1, 8, 3);
  rig.run_for(Millis(1500), Millis(100), true);
  EXPECT_EQ(rig.worker->stats().foreign_setpoints, 0u) << "1206 right after a write is not yet evidence";
  rig.run_for(Millis(1500), Millis(100), true);
  EXPECT_GE(rig.worker->stats().foreign_setpoints, 1u);
  bool reported = false;
  for (const auto& s : rig.samples)
    for (const auto& f : s.foreign) reported = reported || (f.applied_a == 16.0 && f.ours_a == 8);
  EXPECT_TRUE(reported);
}

TEST(StationWorker, ACutIsWrittenBetweenTheReadsOfASlowPollNotAfterIt) {
  StationWorker::Options o;
  o.poll_interval = Millis(1000);
  WorkerRig rig(60, o);
  rig.worker->set_desired(1, 16, 3);
  rig.worker->set_desired(2, 16, 3);
  rig.worker->run_once(rig.clock.mono_now());  // writes, then a quick poll
  rig.clock.advance(Millis(1000));
  // Now every read takes 800 ms and a poll is 5 reads (4 s); the control loop cuts socket 2 during
  // the first read.
  ems::MonoTime cut_at{};
  rig.device->set_slow(&rig.clock, Millis(800), 5, [&](int read) {
    if (read != 0) return;
    cut_at = rig.clock.mono_now();
    rig.worker->set_desired(2, 0, 3);
  });
  rig.worker->run_once(rig.clock.mono_now());
  const auto poll_done = rig.clock.mono_now();
  const auto w = rig.device->writes();
  ASSERT_EQ(w.back().unit, 2);
  ASSERT_EQ(w.back().amps, 0);
  EXPECT_EQ(w.back().at, cut_at) << "the cut waited for a read";
  EXPECT_LT(w.back().at, poll_done) << "the cut waited for the whole poll";
  EXPECT_EQ(rig.worker->stats().cuts_during_poll, 1u);
}

TEST(StationWorker, AWriteSendsTheNewestValueAndALateOneNeverReplacesANewerRecord) {
  WorkerRig rig(60);
  rig.worker->set_desired(1, 16, 3);
  rig.worker->run_once(rig.clock.mono_now());
  // While the 10 A write is on its way, the control loop already wants 6 A.
  bool once = false;
  rig.device->on_write([&](int, double amps) {
    if (amps == 10 && !once) {
      once = true;
      rig.worker->set_desired(1, 6, 3);
    }
  });
  rig.worker->set_desired(1, 10, 3);
  rig.clock.advance(Millis(100));
  rig.worker->run_once(rig.clock.mono_now());
  rig.clock.advance(Millis(100));
  rig.worker->run_once(rig.clock.mono_now());
  const auto w = rig.device->writes();
  ASSERT_GE(w.size(), 3u);
  EXPECT_EQ(w.back().amps, 6) << "the newest set-point must be the last one written";
  std::uint64_t last = 0;
  for (const auto& r : rig.reports) {
    EXPECT_GT(r.sequence, last) << "writes must go out in the order of their sequence";
    last = r.sequence;
  }
  // Nothing further to write: the record is the newest value.
  const auto n = w.size();
  rig.clock.advance(Millis(100));
  rig.worker->run_once(rig.clock.mono_now());
  EXPECT_EQ(rig.device->writes().size(), n);
}

}  // namespace
}  // namespace emsgw::gateway
