// Cost of MQTT telemetry on the worker thread and of publish() on the control thread, for a site
// of 128 sockets (64 double stations, design.md §4). Run: build/tests/mqtt/mqtt_bench
#include <benchmark/benchmark.h>

#include <memory>

#include "mqtt/discovery.hpp"
#include "mqtt/mqtt_bridge.hpp"
#include "mqtt/telemetry.hpp"

namespace {
using namespace emsgw;

ems::SiteStatus big_status(std::uint64_t step) {
  ems::SiteStatus st;
  st.sequence = step;
  st.site_name = "bench";
  st.grid.power_w_total = 10000.0 + static_cast<double>(step % 100);
  st.grid.import_wh = 1e6 + static_cast<double>(step);
  for (int i = 0; i < 3; ++i) {
    st.grid.current_a[static_cast<std::size_t>(i)] = 20.0 + static_cast<double>(step % 10);
    st.grid.voltage_v[static_cast<std::size_t>(i)] = 230.0;
  }
  for (int s = 0; s < 64; ++s) {
    st.stations.push_back({"station" + std::to_string(s), true, "NG920", "", "", 32.0, "", "", 0});
    for (int u = 1; u <= 2; ++u) {
      ems::SocketStatus so;
      so.id = s * 2 + u - 1;
      so.station = st.stations.back().name;
      so.unit = u;
      so.state = ems::SocketState::Charging;
      so.ev_connected = so.charging = true;
      so.current_a = {6.0 + static_cast<double>(step % 5), 6.0, 6.0};
      so.setpoint_a = 6.0 + static_cast<double>(step % 5);
      so.applied_a = so.setpoint_a;
      so.max_current_a = 16;
      so.reason = "grid_l1";
      so.reason_text = "limited by grid phase L1";
      so.session_energy_wh = 1000.0 + static_cast<double>(step);
      so.total_energy_wh = 1e5 + static_cast<double>(step);
      st.sockets.push_back(so);
    }
  }
  return st;
}

void BM_TelemetryItems128Sockets(benchmark::State& state) {
  const mqtt::Topics t("emsgw/bench");
  const auto st = big_status(1);
  for (auto _ : state) benchmark::DoNotOptimize(mqtt::telemetry_items(st, t));
  state.counters["items"] = static_cast<double>(mqtt::telemetry_items(st, t).size());
}
BENCHMARK(BM_TelemetryItems128Sockets);

void BM_TelemetryFilter128Sockets(benchmark::State& state) {
  const mqtt::Topics t("emsgw/bench");
  mqtt::TelemetryFilter f(ems::Millis(1000));
  std::vector<std::vector<mqtt::TelemetryItem>> steps;
  for (std::uint64_t i = 0; i < 16; ++i) steps.push_back(mqtt::telemetry_items(big_status(i), t));
  ems::MonoTime now{};
  std::size_t i = 0;
  for (auto _ : state) {
    now += ems::Millis(100);  // a 10 Hz control loop
    benchmark::DoNotOptimize(f.select(steps[i++ % steps.size()], now));
  }
}
BENCHMARK(BM_TelemetryFilter128Sockets);

class NullSink : public ems::CommandSink {
 public:
  void submit(ems::Command, std::function<void(ems::CommandReply)> reply) override { reply({}); }
};
class BenchClock : public ems::Clock {
 public:
  ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

// publish() as the control loop calls it, with no broker reachable (the worker keeps failing to
// connect and the queue is full): the cost must stay a pointer swap.
void BM_PublishWithBrokerAway(benchmark::State& state) {
  NullSink sink;
  BenchClock clock;
  mqtt::MqttSettings s;
  s.url = "tcp://127.0.0.1:1";
  s.queue_max_messages = 1000;
  mqtt::SiteDescription d;
  d.site.name = "bench";
  mqtt::MqttBridge bridge(s, d, sink, clock);
  bridge.start();
  auto status = std::make_shared<const ems::SiteStatus>(big_status(1));
  for (auto _ : state) bridge.publish(status);
  state.counters["dropped"] = static_cast<double>(bridge.stats().dropped);
}
BENCHMARK(BM_PublishWithBrokerAway)->UseRealTime();

void BM_Discovery64Stations(benchmark::State& state) {
  mqtt::SiteDescription d;
  d.site.name = "bench";
  for (int s = 0; s < 64; ++s) {
    ems::StationConfig st;
    st.name = "station" + std::to_string(s);
    st.max_current_a = 32;
    for (int u = 1; u <= 2; ++u) st.sockets.push_back({s * 2 + u - 1, u, 16, 6, {}, ems::ChargeMode::Now});
    d.site.stations.push_back(st);
  }
  const mqtt::Topics t("emsgw/bench");
  for (auto _ : state) {
    std::size_t bytes = 0;
    for (const auto& m : mqtt::discovery_messages(d, t)) bytes += m.payload.dump().size();
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_Discovery64Stations);

}  // namespace

BENCHMARK_MAIN();
