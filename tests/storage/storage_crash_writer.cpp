// Helper of storage_crash_test: writes events, decisions and history in batched transactions,
// forever, and prints the last id of each batch to stdout once its COMMIT has returned. The test
// SIGKILLs it at random moments.
//   storage_crash_writer DB_PATH full|normal
#include <cstdio>
#include <string>

#include "gateway/storage/sqlite_store.hpp"

using namespace emsgw::gateway::storage;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: storage_crash_writer DB_PATH full|normal\n");
    return 2;
  }
  StorageSettings s;
  s.path = argv[1];
  s.sync_full = std::string(argv[2]) == "full";
  auto store = SqliteStore::open(s);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().message.c_str());
    return 1;
  }
  auto last = store->database().query_int("SELECT COALESCE(MAX(t_ms), 0) FROM event");
  if (!last) return 1;
  std::int64_t id = *last;
  constexpr int kBatch = 50;
  for (;;) {
    for (int i = 0; i < kBatch; ++i) {
      ++id;
      const WallTime t = from_unix_ms(id);
      store->record_event({0, t, EventKind::ConfigChange, "writer", std::to_string(id)});
      store->record_decision({0, t, static_cast<int>(id % 8), 6, 16, "writer " + std::to_string(id)});
      HistorySample h;
      h.time = from_unix_ms(id * 10'000);  // one 10 s bucket per id
      h.pv_w = static_cast<double>(id);
      h.sockets.push_back({static_cast<int>(id % 8), {1.0, 2.0, 3.0}, 16.0, 16.0});
      store->add_sample(h);
    }
    if (auto r = store->flush(true); !r) {
      std::fprintf(stderr, "flush: %s\n", r.error().message.c_str());
      return 1;
    }
    std::printf("%lld\n", static_cast<long long>(id));
    std::fflush(stdout);
  }
}
