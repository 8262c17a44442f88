// One allocator step with 128 sockets: 64 double stations, mixed 1/3-phase EVs, rotated phase
// mappings (guide §3.7), an external site limit and a site schedule (design.md §4 target: ≤ 50 µs);
// and the same sites below a 3-level tree of circuits (2 metered wings, 8 boards, 16 rows).
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

/// The same site below a 3-level tree: 2 metered wings (300 A), each with 4 boards (100 A), each
/// with 2 rows (50 A, 30 kW) of 4 stations.
SiteConfig site_128_tree(double grid_max_a) {
  SiteConfig s = site_128(grid_max_a);
  for (int w = 0; w < 2; ++w) {
    const std::string wing = "wing" + std::to_string(w);
    s.circuits.push_back({wing, "", 300, 0, 1, wing + "-meter"});
    for (int b = 0; b < 4; ++b) {
      const std::string board = wing + "-board" + std::to_string(b);
      s.circuits.push_back({board, wing, 100, 0, 1, ""});
      for (int r = 0; r < 2; ++r) s.circuits.push_back({board + "-row" + std::to_string(r), board, 50, 30000, 0.5, ""});
    }
  }
  // Four stations to a row, in order.
  std::vector<std::string> rows;
  for (const auto& c : s.circuits)
    if (c.name.find("-row") != std::string::npos) rows.push_back(c.name);
  for (std::size_t st = 0; st < s.stations.size(); ++st) s.stations[st].circuit = rows[st / 4];
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
  // Metered wings: a little non-EV load on top of the EVs below them.
  for (const auto& c : site.circuits) {
    GridReading r;
    r.valid = !c.meter.empty();
    if (r.valid) {
      std::array<double, kPhaseCount> load{8, 5, 3};
      for (std::size_t st = 0; st < site.stations.size(); ++st) {
        if (site.stations[st].circuit.rfind(c.name, 0) != 0) continue;
        for (std::size_t j = 0; j < site.stations[st].sockets.size(); ++j) {
          const auto& so = site.stations[st].sockets[j];
          const auto& ss = snap.sockets[st * 2 + j];
          for (std::size_t k = 0; k < so.phase_mapping.count; ++k)
            load[index(so.phase_mapping.grid[k])] += ss.current[k].value();
        }
      }
      for (std::size_t p = 0; p < kPhaseCount; ++p) r.current[p] = Amps(load[p]);
    }
    snap.circuits.push_back(r);
  }
  return snap;
}

void move_clock(SiteSnapshot& snap, std::chrono::milliseconds dt) {
  snap.now += dt;
  snap.grid.measured_at = snap.now;
  snap.pv.measured_at = snap.now;
  for (auto& s : snap.sockets) s.measured_at = snap.now;
  for (auto& c : snap.circuits) c.measured_at = snap.now;
}

/// Weekly windows in force: on the grid connection (current and power) and on every board.
void add_windows(const SiteConfig& site, SiteSnapshot& snap) {
  NodeLimit grid{0, Amps(560), Watts(380000), "schedule grid 560 A", "schedule grid 380.0 kW"};
  snap.node_limits.push_back(grid);
  for (std::size_t c = 0; c < site.circuits.size(); ++c)
    if (site.circuits[c].name.find("-row") == std::string::npos && site.circuits[c].meter.empty())
      snap.node_limits.push_back({static_cast<int>(c) + 1, Amps(80), std::nullopt, "schedule board 80 A", ""});
}

void run(benchmark::State& state, double grid_max_a, bool tree = false, bool windows = false) {
  const auto site = tree ? site_128_tree(grid_max_a) : site_128(grid_max_a);
  Allocator alloc(site);
  auto snap = snapshot_128(site);
  if (windows) add_windows(site, snap);
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

// The same below a 3-level tree of circuits: the rows' and boards' limits bind.
void BM_Step128Sockets3LevelTree(benchmark::State& state) {
  run(state, 700, true);
}
void BM_Step128Sockets3LevelTreeAlternating(benchmark::State& state) {
  run(state, 300, true);
}

// The same with weekly windows lowering the grid connection's current and power and every board.
void BM_Step128Sockets3LevelTreeWindows(benchmark::State& state) {
  run(state, 700, true, true);
}

BENCHMARK(BM_Step128Sockets)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Step128Sockets3LevelTreeWindows)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Step128Sockets3LevelTree)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Step128Sockets3LevelTreeAlternating)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Step128SocketsAlternating)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
