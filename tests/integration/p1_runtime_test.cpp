// DSMR P1 in the running product: the project's P1 simulator sends DSMR 4.2 telegrams every 10 s
// over TCP (a P1 network adapter) and over a pty (a serial P1 cable) to a real emsgw runtime with
// simulated Alfen stations. Without site.meter_stale_after_s the stale limit follows the meter and
// no "meter stale" fault appears between telegrams; with a 5 s limit in the file the fault names
// the remedy; a missing serial device or a refused adapter is retried with back-off.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "drivers/dsmr/sim/p1_emitter.hpp"
#include "tests/integration/site_rig.hpp"
#include "tests/support/process.hpp"

namespace emsgw::test {
namespace {

std::string replace_meter(std::string toml, const std::string& meter, bool keep_stale_key) {
  const auto from = toml.find("[meter.grid]");
  const auto to = toml.find("\n[", from + 1);
  toml.replace(from, to - from, meter);
  if (!keep_stale_key) {
    const auto at = toml.find("meter_stale_after_s = ");
    toml.erase(at, toml.find('\n', at) - at + 1);
  }
  return toml;
}

struct P1Site {
  drivers::SystemClock clock;
  std::unique_ptr<gateway::SimulatedSite> site;
  std::unique_ptr<drivers::sim::P1Emitter> p1;
  std::unique_ptr<gateway::Runtime> runtime;

  /// Stations from the simulated site; a DSMR 4.2 emitter sending every `interval_ms`.
  explicit P1Site(int interval_ms) {
    site = std::make_unique<gateway::SimulatedSite>(three_car_site());
    site->start();
    p1 = std::make_unique<drivers::sim::P1Emitter>(
        clock, drivers::sim::P1EmitterOptions{interval_ms, drivers::sim::P1Flavour::Dsmr4IntegerAmps, 0, 0, 0});
    p1->set_currents({4, 3, 2});
  }
  /// Runs emsgw with this [meter.grid] (and site.meter_stale_after_s = 5 only when asked).
  void run(const std::string& meter_toml, bool keep_stale_key) {
    toml = replace_meter(site->config_toml(), meter_toml, keep_stale_key);
    auto cfg = gateway::load_config_text(toml, "p1-site.toml");
    runtime = std::make_unique<gateway::Runtime>(std::move(cfg), clock, gateway::make_meter, gateway::make_station,
                                                 /*with_services=*/false);
    runtime->start();
  }
  ~P1Site() {
    runtime.reset();
    p1.reset();
    site.reset();
  }
  [[nodiscard]] const ems::Fault* fault(const std::string& code) const {
    last_ = runtime->loop().status();
    if (!last_) return nullptr;
    for (const auto& f : last_->faults)
      if (f.code == code) return &f;
    return nullptr;
  }
  [[nodiscard]] bool has_grid() const {
    last_ = runtime->loop().status();
    return last_ && last_->grid.age_s.has_value();
  }
  std::string toml;
  mutable std::shared_ptr<const ems::SiteStatus> last_;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Watches for `duration_s` after the first grid reading; returns how often "meter_stale" was seen.
int stale_polls_over(P1Site& s, double duration_s) {
  const auto start = std::chrono::steady_clock::now();
  while (!s.has_grid() && seconds_since(start) < 25) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(s.has_grid()) << "no grid reading from the P1 simulator";
  const auto watch = std::chrono::steady_clock::now();
  int stale = 0;
  while (seconds_since(watch) < duration_s) {
    if (s.fault("meter_stale") != nullptr) ++stale;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return stale;
}

TEST(P1Runtime, Dsmr4EveryTenSecondsOverTcpRaisesNoStaleFault) {
  P1Site s(10000);
  const int port = *s.p1->start_tcp("127.0.0.1", 0);
  s.run("[meter.grid]\nkind = \"dsmr-tcp\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(port) + "\n", false);
  EXPECT_EQ(stale_polls_over(s, 35), 0) << "meter stale raised between DSMR 4 telegrams";
  const auto st = s.runtime->loop().status();
  ASSERT_TRUE(st);
  EXPECT_LT(*st->grid.age_s, 12.0);
  EXPECT_DOUBLE_EQ(st->grid.current_step_a, 1) << "DSMR 4 sends whole amperes (F3(0,0) A)";
  EXPECT_GE(s.p1->telegrams_sent(), 4U);
}

TEST(P1Runtime, Dsmr4EveryTenSecondsOverAPtyRaisesNoStaleFault) {
  P1Site s(10000);
  const auto path = s.p1->start_pty();
  ASSERT_TRUE(path.has_value()) << path.error();
  s.run("[meter.grid]\nkind = \"dsmr-serial\"\ndevice = \"" + *path + "\"\n", false);
  EXPECT_EQ(stale_polls_over(s, 35), 0) << "meter stale raised between DSMR 4 telegrams";
}

TEST(P1Runtime, AnExplicitFiveSecondLimitNamesTheRemedy) {
  P1Site s(10000);
  const int port = *s.p1->start_tcp("127.0.0.1", 0);
  s.run("[meter.grid]\nkind = \"dsmr-tcp\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(port) + "\n", true);
  const auto start = std::chrono::steady_clock::now();
  std::string text;
  while (seconds_since(start) < 40) {
    if (s.has_grid())
      if (const auto* f = s.fault("meter_stale")) {
        text = f->text;
        break;
      }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(text.find("sends every 10 s"), std::string::npos) << text;
  EXPECT_NE(text.find("site.meter_stale_after_s to at least 25"), std::string::npos) << text;
}

TEST(P1Runtime, AMissingDeviceAndARefusedAdapterAreRetriedWithBackOff) {
  for (const std::string& meter :
       {std::string("[meter.grid]\nkind = \"dsmr-serial\"\ndevice = \"/nonexistent/ttyP1\"\n"),
        "[meter.grid]\nkind = \"dsmr-tcp\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(free_loopback_port()) +
            "\n"}) {
    SCOPED_TRACE(meter);
    P1Site s(10000);
    s.run(meter, false);
    std::this_thread::sleep_for(std::chrono::seconds(8));
    const auto st = s.runtime->loop().stats();
    // Back-off 0.5, 1, 2, 4 s: about five attempts in 8 s (a tight loop makes thousands), each
    // one meter event and one control step, plus the timer steps and station events.
    EXPECT_LE(st.steps, 200U);
    ASSERT_NE(s.fault("meter_error:grid"), nullptr);
  }
}

}  // namespace
}  // namespace emsgw::test
