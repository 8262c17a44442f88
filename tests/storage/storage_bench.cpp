// Costs of persistence and export at the 128-socket scale (design.md §4): one 10 s history
// bucket flushed to a WAL file, a whole site sample encoded to line protocol, an outbox
// round trip of one 5000-line batch, and gzip of that batch.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "gateway/influx/gzip.hpp"
#include "gateway/influx/line_protocol.hpp"
#include "gateway/influx/outbox.hpp"
#include "gateway/influx/site_points.hpp"
#include "gateway/storage/migrations.hpp"
#include "gateway/storage/sqlite_store.hpp"

namespace {
using namespace emsgw::gateway;
constexpr int kSockets = 128;

storage::HistorySample site_sample(std::int64_t t_ms) {
  storage::HistorySample h;
  h.time = storage::from_unix_ms(t_ms);
  h.grid_current_a = {20.0, 21.0, 22.0};
  h.grid_power_w = {4600.0, 4830.0, 5060.0};
  h.pv_w = 3000.0;
  h.heatpump_w = 900.0;
  for (int s = 0; s < kSockets; ++s) h.sockets.push_back({s, {6.0, 6.0, 6.0}, 6.0, 6.0});
  return h;
}

std::string temp_path(const char* name) {
  const auto p = std::filesystem::temp_directory_path() / (std::string(name) + std::to_string(::getpid()));
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  return p.string();
}

// One flush = one 10 s bucket of the whole site (10 samples at 1 s), one transaction.
void BM_FlushHistoryBucket(benchmark::State& state) {
  storage::StorageSettings s;
  s.path = temp_path("emsgw-bench-store-");
  s.sync_full = state.range(0) != 0;
  auto store = storage::SqliteStore::open(s);
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  std::int64_t t = 1'700'000'000'000;
  for (auto _ : state) {
    for (int i = 0; i < 10; ++i, t += 1000) store->add_sample(site_sample(t));
    if (!store->flush(true)) state.SkipWithError("flush failed");
  }
  state.SetLabel(s.sync_full ? "synchronous=FULL" : "synchronous=NORMAL");
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(s.path + suffix);
}
BENCHMARK(BM_FlushHistoryBucket)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_EncodeSiteSample(benchmark::State& state) {
  influx::LineEncoder enc(influx::Precision::Milliseconds);
  const auto points = influx::to_points(site_sample(1'700'000'000'000));
  std::size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& p : points) {
      auto l = enc.encode(p);
      bytes += l->size();
      benchmark::DoNotOptimize(l);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(points.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_EncodeSiteSample)->Unit(benchmark::kMicrosecond);

void BM_OutboxRoundTrip5000(benchmark::State& state) {
  const auto path = temp_path("emsgw-bench-outbox-");
  auto db = storage::Database::open(path);
  if (!db || !storage::migrate(*db) || !db->exec("PRAGMA journal_mode=WAL")) {
    state.SkipWithError("open failed");
    return;
  }
  influx::Outbox outbox(*db, 1'000'000);
  std::vector<std::string> lines;
  for (int i = 0; i < 5000; ++i)
    lines.push_back("socket,socket=" + std::to_string(i % kSockets) +
                    " current_l1_a=6,current_l2_a=6,current_l3_a=6,setpoint_a=6 " + std::to_string(i));
  for (auto _ : state) {
    if (!outbox.append(lines)) state.SkipWithError("append failed");
    auto b = outbox.peek(5000);
    if (!b || !outbox.remove_through(b->last_id)) state.SkipWithError("peek/remove failed");
  }
  state.SetItemsProcessed(state.iterations() * 5000);
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}
BENCHMARK(BM_OutboxRoundTrip5000)->Unit(benchmark::kMillisecond);

void BM_Gzip5000Lines(benchmark::State& state) {
  std::string body;
  for (int i = 0; i < 5000; ++i)
    body += "socket,socket=" + std::to_string(i % kSockets) + " current_l1_a=6.25,setpoint_a=6 " +
            std::to_string(1'700'000'000'000 + i * 10) + "\n";
  std::size_t out = 0;
  for (auto _ : state) out = influx::gzip_compress(body)->size();
  state.counters["ratio"] = static_cast<double>(body.size()) / static_cast<double>(out);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_Gzip5000Lines)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
