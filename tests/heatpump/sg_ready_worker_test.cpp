// The SG-Ready outputs as the running product drives them: a worker of their own writes the state
// the control loop asks for to a relay module (the project's simulator, real Modbus TCP over
// loopback), reads it back, rewrites outputs that someone switched by hand, and reports unknown —
// never the state it asked for — while the module does not answer.
#include "gateway/devices/sg_ready_worker.hpp"

#include <gtest/gtest.h>

#include "drivers/heatpump/sim/relay_module_sim.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"
#include "drivers/system_clock.hpp"

namespace emsgw::gateway {
namespace {

using drivers::SgReadyState;
using ems::Millis;

std::shared_ptr<const ems::SiteStatus> asking(SgReadyState s) {
  auto st = std::make_shared<ems::SiteStatus>();
  st->heatpump.configured = true;
  st->heatpump.sg_ready_requested = static_cast<int>(s);
  return st;
}

struct RelayRig {
  drivers::sim::RelayModuleSimulator relay{8, 3};
  drivers::sim::ModbusTcpServer server{relay, {}};
  drivers::SystemClock clock;
  std::unique_ptr<SgReadyWorker> worker;

  RelayRig() {
    const auto port = server.start();
    EXPECT_TRUE(port.has_value());
    drivers::SgReadySettings s;
    s.host = "127.0.0.1";
    s.port = *port;
    s.unit = 3;
    s.output1_address = 4;
    s.output2_address = 5;
    drivers::LinkTiming t;
    t.response_timeout_ms = 300;
    t.initial_backoff_ms = 50;
    t.max_backoff_ms = 100;
    SgReadyWorker::Options o;
    o.read_back_every = Millis{2000};
    o.retry_min = Millis{100};
    o.retry_max = Millis{400};
    worker = std::make_unique<SgReadyWorker>(
        std::make_unique<drivers::LibmodbusTcpTransport>(drivers::TcpLink{"127.0.0.1", *port, t}, &clock), s, clock, o);
  }
  std::pair<bool, bool> outputs() const { return {relay.output(4), relay.output(5)}; }
};

TEST(SgReadyWorker, WritesTheAskedStateReadsItBackAndShowsWhatIsInForce) {
  RelayRig rig;
  auto now = rig.clock.mono_now();
  rig.worker->run_once(now);  // nothing asked yet: only the read-back
  ASSERT_EQ(rig.worker->applied().state, 2) << rig.worker->applied().error;
  EXPECT_TRUE(rig.relay.writes().empty());

  rig.worker->on_status(asking(SgReadyState::Recommended));
  rig.worker->run_once(now += Millis{10});
  EXPECT_EQ(rig.outputs(), (std::pair{false, true}));
  EXPECT_EQ(rig.worker->applied().state, 3);
  rig.worker->run_once(now += Millis{1100});  // the confirming read-back
  EXPECT_EQ(rig.worker->applied().state, 3);
  EXPECT_EQ(rig.worker->stats().writes, 1U);
}

TEST(SgReadyWorker, OutputsSwitchedByHandAreRewrittenAtTheNextReadBack) {
  RelayRig rig;
  auto now = rig.clock.mono_now();
  rig.worker->on_status(asking(SgReadyState::Recommended));
  rig.worker->run_once(now);
  rig.worker->run_once(now += Millis{1100});
  ASSERT_EQ(rig.outputs(), (std::pair{false, true}));

  rig.relay.set_output(4, true);  // someone forces the pump on at the module
  rig.relay.set_output(5, true);
  const auto next = rig.worker->run_once(now += Millis{2100});
  EXPECT_EQ(rig.worker->applied().state, 4) << "what is in force is shown, not what was asked";
  EXPECT_EQ(next, now) << "the correction is due at once";
  rig.worker->run_once(now);
  EXPECT_EQ(rig.outputs(), (std::pair{false, true}));
  EXPECT_EQ(rig.worker->applied().state, 3);
  EXPECT_EQ(rig.worker->stats().corrections, 1U);
}

TEST(SgReadyWorker, AModuleThatFailsLeavesTheStateUnknownAndIsRetriedWithBackoff) {
  RelayRig rig;
  auto now = rig.clock.mono_now();
  rig.worker->on_status(asking(SgReadyState::Recommended));
  rig.relay.set_failing(true);
  const auto retry = rig.worker->run_once(now);
  EXPECT_FALSE(rig.worker->applied().state.has_value());
  EXPECT_NE(rig.worker->applied().error, "");
  EXPECT_GE(retry - now, Millis{100});
  EXPECT_EQ(rig.worker->run_once(now + Millis{10}), retry) << "no retry before the backoff";
  const auto retry2 = rig.worker->run_once(retry);
  EXPECT_GT(retry2 - retry, retry - now) << "the backoff grows";

  rig.relay.set_failing(false);
  rig.worker->run_once(retry2);
  EXPECT_EQ(rig.worker->applied().state, 3);
  EXPECT_EQ(rig.worker->applied().error, "");
  EXPECT_EQ(rig.outputs(), (std::pair{false, true}));
}

TEST(SgReadyWorker, StoppingSetsTheOutputsBackToNormal) {
  RelayRig rig;
  rig.worker->start();
  rig.worker->on_status(asking(SgReadyState::Forced));
  for (int i = 0; i < 100 && rig.outputs() != std::pair{true, true}; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(rig.outputs(), (std::pair{true, true}));
  rig.worker->stop();
  EXPECT_EQ(rig.outputs(), (std::pair{false, false}));
}

}  // namespace
}  // namespace emsgw::gateway
