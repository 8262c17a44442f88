// One allocator step with 128 sockets: 64 double stations, mixed 1/3-phase EVs, rotated phase
// mappings (guide §3.7), an external site limit and a site schedule (design.md §4 target: ≤ 50 µs).
//   build-dir/tests/ems/ems_allocator_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "ems/allocator.hpp"

namespace {

using namespace emsgw::ems;

const char* kRotation[] = {"L1L2L3", "L3L1L2", "L2L3L1"};
const char* kSingle[] = {"L1", "L2", "L3"};

SiteConfig site_128(double grid_max_a) {
  SiteConfig s;
  s.name = "bench";
  s.grid_max_current_a = grid_max_a;
  s.safety_margin_a = 2;
  for (int st = 0; st < 64; ++st) {
    StationConfig station;
    station.name = "station" + std::to_string(st);
    station.max_current_a = 32;
    for (int u = 0; u < 2; ++u) {
      const int n = st * 2 + u;
      SocketConfig so;
      so.id = n;
      so.unit = u + 1;
      so.max_current_a = 32;
      so.safe_current_a = 0;
      // Every fourth socket is a single-phase socket; the others are 3-phase, rotated.
      so.phase_mapping = parse_phase_mapping(n % 4 == 3 ? kSingle[n % 3] : kRotation[n % 3]).value();
      station.sockets.push_back(so);
    }
    s.stations.push_back(station);
  }
  return s;
}

SiteSnapshot snapshot_128(const SiteConfig& site) {
  SiteSnapshot snap;
  snap.grid.valid = true;
  snap.pv = {Watts(0), {}, true};
  std::array<double, kPhaseCount> grid{20, 25, 15};
  for (const auto& st : site.stations)
    for (const auto& so : st.sockets) {
      SocketSnapshot s;
      s.id = so.id;
      s.reachable = true;
      s.measured_valid = true;
      s.state = so.id % 7 == 0 ? ConnectorState::Available : ConnectorState::Charging;
      if (s.state == ConnectorState::Charging) {
        // Mixed EVs: every third car on a 3-phase socket is a 1-phase car.
        const int phases = so.phase_mapping.count == 1 || so.id % 3 == 0 ? 1 : 3;
        for (int j = 0; j < phases; ++j) s.current[static_cast<std::size_t>(j)] = Amps(6.5);
        for (std::size_t j = 0; j < so.phase_mapping.count; ++j)
          grid[index(so.phase_mapping.grid[j])] += s.current[j].value();
      }
      snap.sockets.push_back(s);
    }
  for (std::size_t p = 0; p < kPhaseCount; ++p) snap.grid.current[p] = Amps(grid[p]);
  snap.site_limit = std::array<Amps, kPhaseCount>{Amps(640), Amps(600), Amps(630)};
  snap.site_schedule.blocks.push_back({MonoTime{}, MonoTime{} + std::chrono::hours(1000), Amps(620)});
  return snap;
}

void move_clock(SiteSnapshot& snap, std::chrono::milliseconds dt) {
  snap.now += dt;
  snap.grid.measured_at = snap.now;
  snap.pv.measured_at = snap.now;
  for (auto& s : snap.sockets) s.measured_at = snap.now;
}

void run(benchmark::State& state, double grid_max_a) {
  const auto site = site_128(grid_max_a);
  Allocator alloc(site);
  auto snap = snapshot_128(site);
  move_clock(snap, std::chrono::milliseconds(0));
  for (int i = 0; i < 100; ++i) {  // past probing and phase detection: the steady state
    move_clock(snap, std::chrono::seconds(1));
    benchmark::DoNotOptimize(alloc.step(snap));
  }
  int charging = 0;
  for (auto _ : state) {
    move_clock(snap, std::chrono::seconds(1));
    auto out = alloc.step(snap);
    charging = 0;
    for (const auto& a : out.sockets) charging += a.current_a > 0;
    benchmark::DoNotOptimize(out);
  }
  state.counters["sockets"] = static_cast<double>(snap.sockets.size());
  state.counters["charging"] = charging;
}

// Enough for everyone above the minimum: grid phases and the external limits bind.
void BM_Step128Sockets(benchmark::State& state) {
  run(state, 700);
}
// Too little for every minimum: the alternating rotation chooses who charges.
void BM_Step128SocketsAlternating(benchmark::State& state) {
  run(state, 300);
}

BENCHMARK(BM_Step128Sockets)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Step128SocketsAlternating)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
